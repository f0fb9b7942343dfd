"""The cache backends: `add` and `incr` atomic on each (the file and database caches
made so below), and Django's Redis cache made optional.

Django's Redis cache, made optional: when Redis fails the site carries on as if it had
no cache (slower), instead of answering 500 and stopping the scheduler.

django-redis has this switch (IGNORE_EXCEPTIONS); Django's own backend, which we use, has
not, hence this subclass. Every call that fails with a Redis error (refused, timed out,
out of memory, read-only) answers what an empty cache would: a miss, no write. The
outage is logged once when it starts and once when it ends (when a value can be stored
again: a full Redis still reads and deletes), not once per call. For a short while after
a failure calls do not try Redis at all, so that a Redis that hangs costs one timeout per
process every RETRY_AFTER seconds rather than one per cache call.

Nothing may depend on the cache for correctness. An `add` while Redis is away reports
success (there is nobody to hold the key against), so a lock taken with `cache.add` never
stops its holder (the shared home page's build, allauth's rate-limit lock); `incr` raises
ValueError as for a missing key.

A write that did not happen may leave a stale value behind (a version that was not bumped,
a banner that was not dropped) in a Redis that comes back with its data: the keys the
process failed to write are deleted as soon as Redis answers, before anything is read.
"""

import base64
import logging
import os
import pickle
import threading
import time
import zlib
from collections import OrderedDict
from contextlib import contextmanager

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache
from django.core.files import locks
from django.db import connections, router, transaction
from django.utils.timezone import now as tz_now

log = logging.getLogger(__name__)


class _Outage:
    """Whether one Redis fails, and the keys not written meanwhile; one per process
    (Django makes a backend per thread)."""

    # Keys remembered at most; the least recently written are forgotten first (those
    # written over and over, such as the versions, stay).
    MAX_MISSED = 10_000

    def __init__(self, location: str):
        self.location = location
        self.lock = threading.Lock()
        self.since: float | None = None  # time.monotonic() of the first failure
        self.retry_at = 0.0
        self.error = ""
        self.missed: OrderedDict[str, None] = OrderedDict()

    def skipping(self) -> bool:
        return self.since is not None and time.monotonic() < self.retry_at

    def remember(self, keys: list[str]) -> None:
        with self.lock:
            for key in keys:
                self.missed[key] = None
                self.missed.move_to_end(key)
            while len(self.missed) > self.MAX_MISSED:
                self.missed.popitem(last=False)

    def failed(self, error: Exception, *, retry_after: float, missed: list[str]) -> None:
        self.remember(missed)
        with self.lock:
            self.retry_at = time.monotonic() + retry_after
            self.error = f"{type(error).__name__}: {error}"[:200]
            if self.since is None:
                self.since = time.monotonic()
                log.warning(
                    "The cache at %s fails; carrying on without it: %s",
                    self.location,
                    self.error,
                )

    def forget(self, delete) -> None:
        """delete(keys) the keys not written meanwhile (or raise RedisError)."""
        with self.lock:
            if self.missed:
                delete(list(self.missed))
                self.missed.clear()

    def end(self) -> None:
        with self.lock:
            if self.since is not None:
                log.warning(
                    "The cache at %s works again after %.1f s without it.",
                    self.location,
                    time.monotonic() - self.since,
                )
                self.since = None
                self.error = ""


class ResilientRedisCache(RedisCache):
    # Seconds after a failure during which calls answer "no cache" without trying Redis.
    RETRY_AFTER = 1.0

    _outages: dict[str, _Outage] = {}
    _outages_lock = threading.Lock()

    def __init__(self, server, params):
        super().__init__(server, params)
        # Imported here: the file and database caches below must not load redis.
        from redis.exceptions import RedisError

        self._errors = RedisError
        location = ",".join(self._servers)
        with self._outages_lock:
            self._outage = self._outages.setdefault(location, _Outage(location))

    @property
    def outage(self) -> str | None:
        """The error that made the cache fail, while it does; None when it works."""
        return self._outage.error if self._outage.since is not None else None

    def _try(self, fallback, call, *args, writes=(), stores=False, version=None):
        """call(*args), or `fallback` when Redis fails. `writes`: the keys it changes;
        `stores`: whether its success shows that Redis works again."""
        outage = self._outage
        if outage.skipping():
            outage.remember(self._backend_keys(writes, version))
            return fallback
        try:
            if outage.since is not None:
                outage.forget(self._delete)
            result = call(*args)
        except self._errors as error:
            missed = self._backend_keys(writes, version)
            outage.failed(error, retry_after=self.RETRY_AFTER, missed=missed)
            return fallback
        if stores and outage.since is not None:
            outage.end()
        return result

    def _delete(self, backend_keys: list[str]) -> None:
        self._cache.get_client(None, write=True).delete(*backend_keys)

    def _backend_keys(self, keys, version) -> list[str]:
        return [self.make_and_validate_key(key, version=version) for key in keys]

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(
            True,
            super().add,
            key,
            value,
            timeout,
            version,
            writes=[key],
            stores=True,
            version=version,
        )

    def get(self, key, default=None, version=None):
        return self._try(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._try(
            None,
            super().set,
            key,
            value,
            timeout,
            version,
            writes=[key],
            stores=True,
            version=version,
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(False, super().touch, key, timeout, version, writes=[key], version=version)

    def delete(self, key, version=None):
        return self._try(False, super().delete, key, version, writes=[key], version=version)

    def get_many(self, keys, version=None):
        return self._try({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._try(False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        value = self._try(
            missing,
            super().incr,
            key,
            delta,
            version,
            writes=[key],
            stores=True,
            version=version,
        )
        if value is missing:
            raise ValueError(f"Key '{key}' not found (the cache fails).")
        return value

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        keys = list(data)
        return self._try(
            keys,
            super().set_many,
            data,
            timeout,
            version,
            writes=keys,
            stores=True,
            version=version,
        )

    def delete_many(self, keys, version=None):
        keys = list(keys)
        self._try(None, super().delete_many, keys, version, writes=keys, version=version)

    def clear(self):
        return self._try(False, super().clear)


class LockedFileBasedCache(FileBasedCache):
    """Django's file cache with an `add` and an `incr` that are atomic across threads and
    processes, as they are on Redis: Django's `add` is has_key() then set() and its `incr`
    get() then set(), so two workers could both win one lock (allauth's rate limits) or
    both count the same hit (config/limits.py). Both run under an exclusive lock on one
    file of the cache's folder; `incr` also keeps the key's expiry (Django's resets it to
    the default timeout, so a counter's window would restart five minutes after a hit)."""

    LOCK_FILE = "add-incr.lock"  # not a .djcache file: clear() and culling leave it

    @contextmanager
    def _locked(self):
        self._createdir()
        # A new open file each time: flock excludes the other threads of this process too.
        with open(os.path.join(self._dir, self.LOCK_FILE), "ab") as lock:
            locks.lock(lock, locks.LOCK_EX)
            try:
                yield
            finally:
                locks.unlock(lock)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with self._locked():
            return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        with self._locked():
            try:
                with open(self._key_to_file(key, version), "rb") as f:
                    expiry = pickle.load(f)
                    value = pickle.loads(zlib.decompress(f.read()))
            except FileNotFoundError:
                expiry, value = 0, None
            left = None if expiry is None else expiry - time.time()
            if left is not None and left <= 0:
                raise ValueError(f"Key '{key}' not found")
            value += delta
            self.set(key, value, left, version)
            return value


class LockedDatabaseCache(DatabaseCache):
    """Django's database cache with an atomic `incr` that keeps the key's expiry (Django's
    reads, then writes the sum with the default timeout). The row is locked (FOR UPDATE;
    SQLite's IMMEDIATE transactions take the write lock when they begin). Its `add` is
    atomic already: an INSERT, refused by the key's uniqueness."""

    def incr(self, key, delta=1, version=None):
        backend_key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote_name = connection.ops.quote_name
        table, key_column = quote_name(self._table), quote_name("cache_key")
        value_column, expires_column = quote_name("value"), quote_name("expires")
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        now = connection.ops.adapt_datetimefield_value(tz_now().replace(microsecond=0))
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {value_column} FROM {table} "
                f"WHERE {key_column} = %s AND {expires_column} >= %s{lock}",
                [backend_key, now],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            stored = connection.ops.process_clob(row[0])
            value = pickle.loads(base64.b64decode(stored.encode())) + delta
            pickled = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {value_column} = %s WHERE {key_column} = %s",
                [pickled, backend_key],
            )
        return value
