"""The cache is an optimisation, never a dependency: with Redis stopped or hung, every
cache call answers like an empty cache, the outage is logged once, and what was not
written meanwhile is not read back stale when Redis returns."""

import logging
import time

import pytest
from django.core.cache import cache

from config.cache import ResilientRedisCache
from config.tests.services import redis_cache_settings
from dashboard.home import CSRF_HOLE
from sending.tests.processes import wait_for

pytestmark = pytest.mark.services


@pytest.fixture
def redis(settings, private_redis):
    settings.CACHES = redis_cache_settings(private_redis.url())
    return private_redis


class Clock:
    """config.cache's clock, moved by the test: RETRY_AFTER passes without waiting it."""

    def __init__(self):
        self.now = time.monotonic()

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("config.cache.time", clock)
    return clock


def comes_back(clock) -> bool:
    """Whether the cache works again, asked once the interval without retries is over."""
    clock.advance(ResilientRedisCache.RETRY_AFTER)
    return cache.add("back", 1) and cache.get("back") == 1


def outage_records(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "config.cache"]


def test_a_stopped_redis_reads_as_an_empty_cache_and_is_logged_once(redis, clock, caplog):
    caplog.set_level(logging.WARNING, logger="config.cache")
    cache.set("kept", "value")
    redis.stop()
    for _ in range(20):
        assert cache.get("kept") is None
        assert cache.get("kept", "default") == "default"
        assert cache.get_many(["kept", "other"]) == {}
        assert not cache.has_key("kept")
        cache.set("new", 1)
        assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
        # Nobody can hold a key: a lock taken with add() must not stop its taker.
        assert cache.add("lock", 1) is True
        assert cache.get_or_set("version", "fresh") == "fresh"
        assert cache.delete("kept") is False
        cache.delete_many(["a", "b"])
        assert cache.touch("kept") is False
        with pytest.raises(ValueError):
            cache.incr("counter")
        clock.advance(0.1)  # the loop spans several RETRY_AFTER intervals: Redis is retried
    assert cache.outage and "refused" in cache.outage.lower()
    assert len(outage_records(caplog)) == 1
    assert "fails; carrying on without it" in outage_records(caplog)[0]

    redis.start()
    wait_for(lambda: comes_back(clock), timeout=5, what="Redis")
    assert cache.outage is None
    assert len(outage_records(caplog)) == 2
    assert "works again" in outage_records(caplog)[1]
    cache.set("x", 1)
    assert cache.incr("x") == 2

    redis.stop()  # a second outage is a new one: logged again
    cache.get("x")
    assert len(outage_records(caplog)) == 3


def test_a_hung_redis_costs_one_timeout_per_interval_not_per_call(redis, clock, monkeypatch):
    cache.set("kept", "value")
    tries = []
    get = cache._cache.get  # the call that reaches Redis
    monkeypatch.setattr(cache._cache, "get", lambda *args: tries.append(args) or get(*args))
    redis.pause()
    for _ in range(50):
        assert cache.get("kept") is None
        clock.advance(ResilientRedisCache.RETRY_AFTER / 60)
    # One socket timeout (0.5 s), then no call tries Redis for RETRY_AFTER (1 s)...
    assert len(tries) == 1
    # ...and the first call after it tries again.
    clock.advance(ResilientRedisCache.RETRY_AFTER)
    assert cache.get("kept") is None
    assert len(tries) == 2
    redis.resume()


def test_a_write_missed_during_the_outage_is_not_read_back_stale(redis, clock):
    """Redis hangs and comes back with its data: the version bump that did not happen
    must not leave the old version in force (the blog would serve stale fragments)."""
    cache.set("blog:version", "old", None)
    cache.set("untouched", "still here", None)
    redis.pause()
    cache.set("blog:version", "new", None)  # times out: not written
    redis.resume()
    clock.advance(ResilientRedisCache.RETRY_AFTER)
    assert cache.get("blog:version") is None
    assert cache.get("untouched") == "still here"  # Redis kept its data indeed
    cache.set("blog:version", "newer", None)
    assert cache.outage is None
    assert cache.get("blog:version") == "newer"


def test_a_full_redis_is_one_outage_not_one_per_write(redis, clock, caplog):
    """Out of memory (noeviction), Redis still reads and deletes but refuses to store:
    logged once, until a value can be stored again."""
    import redis as redis_client

    caplog.set_level(logging.WARNING, logger="config.cache")
    cache.set("kept", "value")
    admin = redis_client.Redis.from_url(redis.url())
    admin.config_set("maxmemory-policy", "noeviction")
    admin.config_set("maxmemory", 1)
    try:
        for n in range(30):
            cache.set(f"page:{n}", "html")
            cache.get("kept")
            cache.delete("gone")
            clock.advance(0.05)
        assert cache.get(f"page:{n}") is None
        assert "OutOfMemoryError" in cache.outage
        assert len(outage_records(caplog)) == 1, outage_records(caplog)
    finally:
        admin.config_set("maxmemory", 0)
    wait_for(lambda: comes_back(clock), timeout=5, what="Redis")
    assert len(outage_records(caplog)) == 2
    assert "works again" in outage_records(caplog)[1]


PRODUCTION_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "10/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}


@pytest.mark.django_db
@pytest.mark.parametrize("fault", ["stopped", "hung"])
def test_the_site_answers_while_redis_fails(fault, redis, settings, caplog):
    from django.test import Client

    from accounts.tests.factories import PASSWORD, UserFactory
    from blog.tests.factories import PostFactory
    from mailings.tests.factories import ClientFactory, MailingFactory
    from sending import heartbeat
    from sending.holds import hold_record
    from sending.models import TransportHold

    caplog.set_level(logging.WARNING, logger="config.cache")
    # allauth's rate limits take a lock with cache.add(): on, as in production.
    settings.ACCOUNT_RATE_LIMITS = PRODUCTION_RATE_LIMITS
    owner = UserFactory()
    mailing = MailingFactory(owner=owner, clients=[ClientFactory(owner=owner)])
    post = PostFactory(title="Cached or not")
    hold_record(reason=TransportHold.Reason.AUTH, server_response="535 5.7.8 Bad credentials")
    visitor, member = Client(), Client()
    assert visitor.get("/").status_code == 200  # the shared page, cached
    if fault == "stopped":
        redis.stop()
    else:
        redis.pause()
    started = time.monotonic()

    statuses = {}
    for path in ("/", "/", "/blog/", f"/blog/{post.pk}/", "/accounts/login/", "/healthz"):
        response = visitor.get(path)
        statuses[f"visitor {path}"] = response.status_code
    assert "Cached or not" in visitor.get("/blog/").content.decode()
    home = visitor.get("/").content.decode()
    assert "Cached or not" in home and CSRF_HOLE not in home

    response = member.post("/accounts/login/", {"login": owner.email, "password": PASSWORD})
    statuses["login POST"] = response.status_code
    assert response.status_code == 302, "signing in must not depend on the rate limits' cache"
    for path in (
        "/",
        "/clients/",
        "/messages/",
        "/mailings/",
        f"/mailings/{mailing.pk}/",
        "/reports/",
        "/blog/",
        "/accounts/profile/",
    ):
        response = member.get(path)
        statuses[f"member {path}"] = response.status_code
    assert 'id="sending-paused"' in member.get(f"/mailings/{mailing.pk}/").content.decode()
    response = member.post("/clients/new/", {"email": "new@example.org", "full_name": "New"})
    statuses["new client POST"] = response.status_code
    assert response.status_code == 302
    assert all(status == 200 for path, status in statuses.items() if "POST" not in path), statuses

    settings.HEALTHZ_TOKEN = "monitor"
    health = visitor.get("/healthz", HTTP_AUTHORIZATION="Bearer monitor")  # the details
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "degraded"
    expected_error = "refused" if fault == "stopped" else "timeout"
    assert body["cache"]["ok"] is False and expected_error in body["cache"]["error"].lower()
    assert body["database"]["ok"] is True
    assert body["scheduler"]["error"] == "unknown while the cache fails"
    assert len(outage_records(caplog)) == 1, "one line per outage, not one per request"

    elapsed = time.monotonic() - started
    print(f"\nRedis {fault}, {elapsed:.1f} s for these and 5 more requests: {statuses}")

    if fault == "stopped":
        redis.start()
    else:
        redis.resume()
    wait_for(lambda: visitor.get("/healthz").json()["cache"]["ok"], timeout=5, what="cache ok")
    heartbeat.beat("test")
    body = visitor.get("/healthz").json()
    assert body["status"] == "ok", body
