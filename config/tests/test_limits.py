"""The limits hold under parallel hits on every cache backend: the limiter
(config/limits.py), `cache.add` as a lock (ALTCHA's single use, allauth's rate limits)
and `cache.incr`, hammered from threads and processes; the number let through is
counted, and must be exactly the limit."""

import datetime as dt
import multiprocessing
import threading

import altcha
import pytest
import time_machine
from allauth.core.internal import ratelimit as allauth_ratelimit
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory

from audience.captcha import challenge_new, solution_accepted
from config.limits import limit_hit, limit_reset_in, mailbox_of
from config.tests.services import redis_cache_settings

# The database cache's table is seen by other connections (the threads'): committed.
pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
HITS_EACH = 25
LIMIT = 37


def file_cache(tmp_path) -> dict:
    return {"BACKEND": "config.cache.LockedFileBasedCache", "LOCATION": str(tmp_path / "cache")}


def database_cache(tmp_path) -> dict:
    return {"BACKEND": "config.cache.LockedDatabaseCache", "LOCATION": "limits_test_cache"}


@pytest.fixture(params=["file", "database", "redis"])
def any_cache(request, settings, tmp_path):
    """The production backends, each in turn: the default file cache, the database cache
    (a real table) and Redis."""
    kind = request.param
    if kind == "redis":
        settings.CACHES = redis_cache_settings(request.getfixturevalue("private_redis").url())
    elif kind == "database":
        settings.CACHES = {"default": database_cache(tmp_path)}
        call_command("createcachetable", verbosity=0)
    else:
        settings.CACHES = {"default": file_cache(tmp_path)}
    return kind


def hammer(attempt, *, threads: int = THREADS, each: int = HITS_EACH) -> int:
    """Call attempt() `each` times in each of `threads` threads started together; how
    many calls answered True."""
    start = threading.Barrier(threads)
    admitted = []

    def work():
        start.wait()
        try:
            admitted.append(sum(bool(attempt()) for _ in range(each)))
        finally:
            connection.close()  # this thread's own database connection

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(admitted) == threads, "a thread failed"
    return sum(admitted)


@time_machine.travel(dt.datetime(2030, 1, 1, 12, 0, 10, tzinfo=dt.UTC), tick=False)
def test_the_limiter_lets_exactly_the_limit_through_from_parallel_threads(any_cache):
    def attempt():
        return limit_hit(scope="test", ident="203.0.113.7", limit=LIMIT, window=60)

    assert hammer(attempt) == LIMIT
    assert limit_hit(scope="test", ident="203.0.113.8", limit=LIMIT, window=60)
    assert not limit_hit(scope="other", ident="x", limit=0, window=60)


def test_cache_add_is_taken_by_exactly_one_thread(any_cache):
    assert hammer(lambda: cache.add("lock", 1, timeout=60), each=1) == 1


def test_cache_incr_counts_every_parallel_hit(any_cache):
    cache.add("count", 0, timeout=600)
    hammer(lambda: cache.incr("count"))
    assert cache.get("count") == THREADS * HITS_EACH


def test_a_counter_keeps_its_expiry_through_increments(any_cache):
    # Django's own file and database caches reset it to the default five minutes.
    start = dt.datetime(2030, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        assert all(limit_hit(scope="hour", ident="a", limit=2, window=3600) for _ in range(2))
        traveller.shift(dt.timedelta(minutes=40))
        assert not limit_hit(scope="hour", ident="a", limit=2, window=3600)
        traveller.shift(dt.timedelta(minutes=20))  # the next hour: a new window
        assert limit_hit(scope="hour", ident="a", limit=2, window=3600)
        assert limit_reset_in(window=3600) == 3600


def _hits_in_a_process(each: int) -> int:
    return sum(limit_hit(scope="proc", ident="x", limit=LIMIT, window=3600) for _ in range(each))


def test_the_file_cache_limiter_holds_across_processes(settings, tmp_path):
    settings.CACHES = {"default": file_cache(tmp_path)}
    moment = dt.datetime(2030, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    with (
        time_machine.travel(moment, tick=False),
        multiprocessing.get_context("fork").Pool(4) as pool,
    ):
        admitted = pool.map(_hits_in_a_process, [HITS_EACH] * 4)
    assert sum(admitted) == LIMIT


def test_an_altcha_solution_is_accepted_once_among_parallel_posts(any_cache, settings):
    settings.SUBSCRIBE_CAPTCHA_COST = 50
    challenge = altcha.Challenge.from_dict(challenge_new())
    payload = altcha.Payload(challenge, altcha.solve_challenge(challenge, timeout=30)).to_base64()
    assert hammer(lambda: solution_accepted(payload), each=3) == 1


def test_allauths_login_limit_holds_under_parallel_failures(any_cache):
    # allauth locks each counter with cache.add: atomic on every backend, its count holds.
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="203.0.113.9")

    def attempt():
        return allauth_ratelimit.consume(
            request,
            app="allauth.account",
            action="login_failed",
            config={"login_failed": "5/5m/key"},
            key="victim@example.org",
        )

    assert hammer(attempt, threads=4, each=5) == 5


@pytest.mark.parametrize(
    ("address", "mailbox"),
    [
        ("Ann+news@Example.org", "ann@example.org"),
        ("ann+a+b@example.org", "ann@example.org"),
        (" ann@example.org ", "ann@example.org"),
        ("+tag@example.org", "+tag@example.org"),
        ("no-at-sign", "no-at-sign"),
    ],
)
def test_sub_addresses_fold_into_one_mailbox(address, mailbox):
    assert mailbox_of(address) == mailbox
