"""SEND_RATE and a relay's rate hold for every worker together (sending.rates): two
workers, each with its own limiter as in two processes, share one schedule in the real
Redis (when the cache is Redis) or in the database."""

import threading
import time

import pytest
from django.db import connection

from config.tests.services import redis_cache_settings
from sending.models import RateSchedule
from sending.rates import BLOCK_SECONDS, SharedRateLimiter

RATE = 40.0
PER_WORKER = 20


def two_workers(key: str, rate: float = RATE, per_worker: int = PER_WORKER) -> list[float]:
    """When each message of two workers could go, one limiter each, side by side."""
    times: list[float] = []
    lock = threading.Lock()

    def worker():
        limiter = SharedRateLimiter(key, rate)
        try:
            for _ in range(per_worker):
                delay = limiter.next_slot() - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                with lock:
                    times.append(time.monotonic())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(times)


def assert_combined_rate(times: list[float], rate: float = RATE) -> None:
    assert len(times) == 2 * PER_WORKER
    # One schedule: every gap between slots is kept, whichever worker took them.
    span = times[-1] - times[0]
    assert span >= (len(times) - 1) / rate * 0.95, f"{len(times)} messages in {span:.2f} s"
    # Two limiters each keeping the rate alone would have taken about half as long.
    assert span < (len(times) - 1) / rate * 2


@pytest.mark.django_db(transaction=True)
def test_the_database_holds_the_rate_for_two_workers_together(settings):
    # Whatever cache the suite runs with (Redis on the PostgreSQL run): one that is not.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert_combined_rate(two_workers("db-test"))
    schedule = RateSchedule.objects.get(key="db-test")
    # Booked in blocks of about BLOCK_SECONDS, not one row update per message.
    assert schedule.next_at > time.time() - 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_redis_holds_the_rate_for_two_workers_together(settings, private_redis):
    settings.CACHES = redis_cache_settings(private_redis.url())
    assert_combined_rate(two_workers("redis-test"))
    # Nothing of it went through the database.
    assert not RateSchedule.objects.exists()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_keeps_the_rate_alone_while_redis_is_away(settings, private_redis, caplog):
    settings.CACHES = redis_cache_settings(private_redis.url())
    private_redis.stop()
    limiter = SharedRateLimiter("away", RATE)
    started = time.monotonic()
    slots = [limiter.next_slot() for _ in range(11)]
    assert slots[-1] - max(slots[0], started) >= 10 / RATE * 0.99
    assert "kept alone" in caplog.text
    assert not RateSchedule.objects.exists()


def test_no_rate_books_nothing():
    limiter = SharedRateLimiter("free", 0)
    assert {limiter.next_slot() for _ in range(100)} == {0.0}


def test_a_block_lasts_about_a_fifth_of_a_second():
    assert SharedRateLimiter("x", 50).block == int(50 * BLOCK_SECONDS)
    assert SharedRateLimiter("x", 1).block == 1
