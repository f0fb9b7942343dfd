"""SEND_RATE and a relay's rate hold for every worker together (sending.rates): two
workers, each with its own limiter as in two processes, share one schedule in the real
Redis (when the cache is Redis) or in the database."""

import threading
import time

import pytest
from django.db import connection

from config.tests.services import redis_cache_settings
from sending import rates
from sending.models import RateSchedule
from sending.rates import BLOCK_SECONDS, SharedRateLimiter

RATE = 40.0
PER_WORKER = 20


def two_workers(key: str, rate: float = RATE, per_worker: int = PER_WORKER) -> list[float]:
    """The send slots (time.monotonic()) two workers get for their messages, one limiter
    each, side by side."""
    slots: list[float] = []
    lock = threading.Lock()

    def worker():
        limiter = SharedRateLimiter(key, rate)
        try:
            taken = [limiter.next_slot() for _ in range(per_worker)]
        finally:
            connection.close()
        with lock:
            slots.extend(taken)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(slots)


def assert_combined_rate(slots: list[float], rate: float = RATE) -> None:
    assert len(slots) == 2 * PER_WORKER
    # One schedule: every gap between slots is kept, whichever worker took them.
    span = slots[-1] - slots[0]
    assert span >= (len(slots) - 1) / rate * 0.95, f"{len(slots)} messages in {span:.2f} s"
    # Two limiters each keeping the rate alone would have given about half the span.
    assert span < (len(slots) - 1) / rate * 2


class FrozenClock:
    """One instant for sending.rates' time.time() and time.monotonic(): the slots the
    database books are then exactly where the schedule puts them."""

    def __init__(self):
        self.now = time.monotonic()

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


@pytest.mark.django_db(transaction=True)
def test_the_database_holds_the_rate_for_two_workers_together(settings, monkeypatch):
    # Whatever cache the suite runs with (Redis on the PostgreSQL run): one that is not.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    clock = FrozenClock()
    monkeypatch.setattr("sending.rates.time", clock)
    bookings = []
    book = rates._book_in_database
    monkeypatch.setattr(
        rates, "_book_in_database", lambda *args: bookings.append(args) or book(*args)
    )
    slots = two_workers("db-test")
    assert_combined_rate(slots)
    # No two messages share a slot: each is a slot of its own on the one schedule.
    assert len({round((slot - clock.now) * RATE) for slot in slots}) == len(slots)
    # Booked in blocks of about BLOCK_SECONDS (8 slots), not one row update per message.
    assert len(bookings) == 2 * 3


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
