"""The one rate limiter: at most `limit` hits per `window` seconds for one identity,
counted in fixed windows aligned to the clock (an hourly limit counts from :00 to :00).

The count is `cache.add` (the window's key, once) and `cache.incr`, both atomic on every
cache backend we run (Redis natively; the file and database caches through
config/cache.py), so no number of threads or processes lets one hit more through. The
key carries the window's number: a key that outlives its window is never read again.
While the cache is down nothing is limited (config/cache.py: nothing depends on it).
"""

import hashlib
import time

from django.core.cache import cache


def limit_hit(*, scope: str, ident: str, limit: int, window: int) -> bool:
    """Count one hit of `ident` in `scope`; False once the window holds `limit` already."""
    digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    key = f"limit:{scope}:{digest}:{int(time.time() // window)}"
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # the cache is down
        return True


def limit_reset_in(*, window: int) -> int:
    """Seconds until the current window ends: an upper bound of the wait (Retry-After)."""
    return max(1, int(window - time.time() % window + 0.999))


def mailbox_of(address: str) -> str:
    """The mailbox an address reaches, as a limit counts it: `Ann+news@X.org` and
    `ann+other@x.org` are one person's (a sub-address is a free new address)."""
    local, at, domain = address.strip().lower().rpartition("@")
    if not at:
        return address.strip().lower()
    return f"{local.split('+', 1)[0] or local}@{domain}"
