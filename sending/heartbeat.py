"""The scheduler's pulse, kept in the shared cache so that /healthz can see it.

Both the pulse and the wake-up are best effort: while the cache is away (config/cache.py)
a beat is lost, /healthz says the scheduler's state is unknown, and the scheduler wakes
only at the end of its sleep.
"""

from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "scheduler:heartbeat"
# Kept a day so that /healthz can say how long ago the scheduler stopped.
HEARTBEAT_TTL = 24 * 3600


def beat(source: str) -> None:
    cache.set(HEARTBEAT_KEY, {"at": timezone.now().isoformat(), "by": source}, HEARTBEAT_TTL)


def last_beat() -> tuple[datetime, str] | None:
    value = cache.get(HEARTBEAT_KEY)
    if not value:
        return None
    return datetime.fromisoformat(value["at"]), value["by"]


WAKE_KEY = "scheduler:wake"


def wake() -> None:
    """Ask the embedded scheduler to start its next pass now instead of after its sleep."""
    cache.set(WAKE_KEY, timezone.now().isoformat(), HEARTBEAT_TTL)


def wake_token() -> str | None:
    return cache.get(WAKE_KEY)
