"""The cache is an optimisation, never a dependency: with Redis stopped or hung, every
cache call answers like an empty cache, the outage is logged once, and what was not
written meanwhile is not read back stale when Redis returns."""

import logging
import time

import pytest
from django.core.cache import cache

from config.cache import ResilientRedisCache
from config.tests.services import redis_cache_settings
from sending.tests.processes import wait_for

pytestmark = pytest.mark.services


@pytest.fixture
def redis(settings, private_redis):
    settings.CACHES = redis_cache_settings(private_redis.url())
    return private_redis


def outage_records(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "config.cache"]


def test_a_stopped_redis_reads_as_an_empty_cache_and_is_logged_once(redis, caplog):
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
        time.sleep(0.1)  # the loop spans several RETRY_AFTER intervals: Redis is retried
    assert cache.outage and "refused" in cache.outage.lower()
    assert len(outage_records(caplog)) == 1
    assert "unreachable" in outage_records(caplog)[0]

    redis.start()
    wait_for(lambda: cache.add("back", 1) and cache.get("back") == 1, timeout=5, what="Redis")
    assert cache.outage is None
    assert len(outage_records(caplog)) == 2
    assert "answers again" in outage_records(caplog)[1]
    cache.set("x", 1)
    assert cache.incr("x") == 2

    redis.stop()  # a second outage is a new one: logged again
    cache.get("x")
    assert len(outage_records(caplog)) == 3


def test_a_hung_redis_costs_one_timeout_per_interval_not_per_call(redis):
    cache.set("kept", "value")
    redis.pause()
    started = time.monotonic()
    for _ in range(50):
        assert cache.get("kept") is None
    # One socket timeout (0.5 s), then no call tries Redis for RETRY_AFTER (1 s).
    assert time.monotonic() - started < ResilientRedisCache.RETRY_AFTER
    redis.resume()


def test_a_write_missed_during_the_outage_is_not_read_back_stale(redis):
    """Redis hangs and comes back with its data: the version bump that did not happen
    must not leave the old version in force (the blog would serve stale fragments)."""
    cache.set("blog:version", "old", None)
    cache.set("untouched", "still here", None)
    redis.pause()
    cache.set("blog:version", "new", None)  # times out: not written
    redis.resume()
    time.sleep(ResilientRedisCache.RETRY_AFTER)
    assert cache.get("blog:version") is None
    assert cache.get("untouched") == "still here"  # Redis kept its data indeed
    assert cache.outage is None
