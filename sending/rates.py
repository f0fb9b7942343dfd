"""SEND_RATE and each relay's own rate, held by every worker together (SPEC §6): one
schedule of send slots per rate, shared by all the processes, in Redis when the cache is
Redis (a Lua script on the server's clock: a GCRA-style "next free slot"), else in the
database (one row per rate, locked while booking).

A worker books a block of slots at a time (about a fifth of a second's worth), so the
shared store sees a few bookings a second, not one per message. The sending thread books
a slot for each message it hands to the pool, and the connection's thread waits for it
before sending. When the store cannot be reached, the worker holds the rate alone for a
while (as if it were the only worker) rather than stop sending or send without a limit.
"""

import logging
import time
from collections import deque

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction

from transport.smtp import RateLimiter

from .models import RateSchedule

log = logging.getLogger(__name__)

BLOCK_SECONDS = 0.2
# After the shared store failed, the worker keeps to the rate on its own this long.
ALONE_SECONDS = 30.0
REDIS_BACKENDS = (
    "config.cache.ResilientRedisCache",
    "django.core.cache.backends.redis.RedisCache",
)
# KEYS[1]: the schedule; ARGV: the interval between slots and how many to book, in
# microseconds and slots. Returns how long until the first booked slot, in microseconds.
BOOK_SCRIPT = """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local interval = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
local start = math.max(now_us, tonumber(redis.call('GET', KEYS[1]) or '0'))
local after = start + interval * count
redis.call('SET', KEYS[1], string.format('%.0f', after), 'PX',
    math.floor((after - now_us) / 1000) + 60000)
return start - now_us
"""


def _redis_client():
    """The cache's Redis client, or None when the cache is not Redis."""
    if settings.CACHES["default"]["BACKEND"] not in REDIS_BACKENDS:
        return None
    return cache._cache.get_client(write=True)


def _book_in_database(key: str, interval: float, count: int) -> float:
    with transaction.atomic():
        RateSchedule.objects.get_or_create(key=key)
        row = RateSchedule.objects.select_for_update().get(key=key)
        now = time.time()
        start = max(now, row.next_at)
        RateSchedule.objects.filter(key=key).update(next_at=start + interval * count)
    return start - now


class ScheduleUnavailable(Exception):
    """The shared schedule's store (Redis) did not answer."""


def book(key: str, interval: float, count: int) -> float:
    """Book the next `count` slots `interval` seconds apart of the schedule `key`;
    returns how many seconds from now the first one is."""
    client = _redis_client()
    if client is None:
        return _book_in_database(key, interval, count)
    # Imported only with Redis as the cache: a process without it never loads redis.
    from redis.exceptions import RedisError

    try:
        waited = client.eval(
            BOOK_SCRIPT, 1, cache.make_key(f"send-rate:{key}"), round(interval * 1e6), count
        )
    except RedisError as error:
        raise ScheduleUnavailable(str(error)) from error
    return int(waited) / 1e6


class SharedRateLimiter:
    """At most `rate` messages a second (0 or less: no limit) from every worker that
    uses the schedule `key`. `next_slot()` is the sending thread's alone."""

    def __init__(self, key: str, rate: float):
        self.key = key
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self.block = max(1, int(rate * BLOCK_SECONDS)) if self.interval else 0
        self.slots: deque[float] = deque()
        self.alone = RateLimiter(rate)
        self.alone_until = 0.0

    def next_slot(self) -> float:
        """The time.monotonic() at which the next message may go (0: at once)."""
        if not self.interval:
            return 0.0
        if self.slots:
            return self.slots.popleft()
        now = time.monotonic()
        if now < self.alone_until:
            return self.alone.next_slot()
        try:
            wait = book(self.key, self.interval, self.block)
        except (DatabaseError, ScheduleUnavailable) as error:
            log.warning("The shared send rate %s cannot be booked, kept alone: %s", self.key, error)
            self.alone_until = now + ALONE_SECONDS
            return self.alone.next_slot()
        first = time.monotonic() + wait
        self.slots.extend(first + i * self.interval for i in range(self.block))
        return self.slots.popleft()
