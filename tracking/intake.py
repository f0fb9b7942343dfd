"""The request path of a tracked link or pixel: what the token points at, and one row
written for the next pass to fold (tracking.events). Nothing here uses the cache: a
link's target is read from the database once per process and link (links never change)
and replays are recognised in the process, so that a hit costs one INSERT and no other
round trip, and a restart of the cache loses nothing."""

import threading
import time

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import Hit, Kind, Link
from .tokens import Target

AGENT_CHARS = Hit._meta.get_field("agent").max_length
TARGETS_KEPT = 10_000
# Link id → (run id, address), as read once per process.
link_targets: dict[int, tuple[int, str]] = {}

# One statement, so one round trip: the hit's commit does not wait for the disk (a crash
# of PostgreSQL itself may lose the last fraction of a second of hits); every other
# write of the site still does. set_config(…, true) ends with this statement's own
# transaction.
ASYNC_INSERT = (
    "WITH durability AS (SELECT set_config('synchronous_commit', 'off', true)) "
    "INSERT INTO tracking_hit (kind, mode, attempt_id, delivery_id, link_id, at, head, agent) "
    "SELECT %s, %s, %s, %s, %s, %s, %s, %s FROM durability"
)


def click_destination(target: Target) -> str | None:
    """The address a click token leads to, None when its link is not its run's."""
    known = link_targets.get(target.link_id)
    if known is None:
        known = Link.objects.filter(pk=target.link_id).values_list("attempt_id", "url").first()
        if known is None:
            return None
        if len(link_targets) >= TARGETS_KEPT:
            link_targets.clear()
        link_targets[target.link_id] = known
    attempt_id, url = known
    return url if attempt_id == target.attempt_id else None


class RecentHits:
    """The hits this process took in the last TRACKING_REPLAY_SECONDS, to write each
    once: a reload or a flood on one link (10,000 a second) costs no write. Per process,
    so a flood writes at most one row per worker and window; the figures count each
    recipient once anyway."""

    LIMIT = 50_000

    def __init__(self):
        self.lock = threading.Lock()
        self.seen: dict[tuple, float] = {}

    def first(self, key: tuple) -> bool:
        """Whether `key` was not seen within the window (and note it now)."""
        now, window = time.time(), settings.TRACKING_REPLAY_SECONDS
        with self.lock:
            seen_at = self.seen.get(key)
            if seen_at is not None and now - seen_at < window:
                return False
            if len(self.seen) >= self.LIMIT:
                self.seen = {k: t for k, t in self.seen.items() if now - t < window}
                if len(self.seen) >= self.LIMIT:
                    self.seen.clear()
            self.seen[key] = now
            return True

    def clear(self) -> None:
        with self.lock:
            self.seen.clear()


recent_hits = RecentHits()


def hit_record(target: Target, *, head: bool, agent: str) -> None:
    """One row for the next pass, unless this process has just written it."""
    if not recent_hits.first((target, head, agent)):
        return
    values = {
        "kind": target.kind,
        "mode": target.mode,
        "attempt_id": target.attempt_id,
        "delivery_id": target.delivery_id,
        "link_id": target.link_id if target.kind == Kind.CLICK else None,
        "at": timezone.now(),
        "head": head,
        "agent": agent[:AGENT_CHARS],
    }
    if connection.vendor == "postgresql" and connection.get_autocommit():
        with connection.cursor() as cursor:
            cursor.execute(ASYNC_INSERT, list(values.values()))
    else:
        Hit.objects.create(**values)
