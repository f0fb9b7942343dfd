"""The request path of a tracked link or pixel: what the token points at, and a row for
the next pass to fold (tracking.events). The request never waits on the database: the
link's target is read once per process (links never change), replays are recognised in
the process, and the hit waits in the process's HitBuffer for a thread that writes all
that gathered every TRACKING_FLUSH_MS in one INSERT. The cache is not used, so a restart
of it loses nothing."""

import atexit
import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone

from content.links import Kind, Target
from content.models import Link

from .models import Hit

log = logging.getLogger(__name__)

AGENT_CHARS = Hit._meta.get_field("agent").max_length
TARGETS_KEPT = 10_000
# Link id → (run id, address), as read once per process.
link_targets: dict[int, tuple[int, str]] = {}


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


class HitBuffer:
    """Hits of this process on their way to the database. A request only appends; a
    thread of the process writes what gathered every TRACKING_FLUSH_MS, in one INSERT.
    A clean stop (SIGTERM, a gunicorn worker replaced after max_requests) writes what is
    left; a process killed outright loses at most the last interval's hits. While the
    database is away the rows stay here (up to LIMIT) and the next interval tries again."""

    LIMIT = 100_000

    def __init__(self):
        self.lock = threading.Lock()
        self.rows: list[Hit] = []
        self.writer: threading.Thread | None = None
        atexit.register(self.flush)

    def add(self, hit: Hit) -> None:
        with self.lock:
            if len(self.rows) < self.LIMIT:
                self.rows.append(hit)
            if self.writer is None:
                # Started by the first hit, so in the web worker, never in gunicorn's
                # master before it forks.
                self.writer = threading.Thread(
                    target=self._write_every_interval, name="tracking-hits", daemon=True
                )
                self.writer.start()

    def _write_every_interval(self) -> None:
        while (interval := settings.TRACKING_FLUSH_MS) > 0:
            time.sleep(interval / 1000)
            self.flush()
        # Turned off (TRACKING_FLUSH_MS=0, as the tests do): the requests write themselves.
        with self.lock:
            self.writer = None
        self.flush()
        connections.close_all()

    def flush(self) -> int:
        """Write what waits; return how many rows were written."""
        with self.lock:
            rows, self.rows = self.rows, []
        if not rows:
            return 0
        try:
            close_old_connections()
            Hit.objects.bulk_create(rows, batch_size=1000)
        except DatabaseError as error:
            log.warning("%d tracking hits wait for the database: %s", len(rows), error)
            with self.lock:
                self.rows[:0] = rows[: max(self.LIMIT - len(self.rows), 0)]
            return 0
        return len(rows)


hit_buffer = HitBuffer()


def hit_record(target: Target, *, head: bool, agent: str) -> None:
    """A row for the next pass, unless this process has just taken the same hit."""
    if not recent_hits.first((target, head, agent)):
        return
    hit = Hit(
        kind=target.kind,
        mode=target.mode,
        attempt_id=target.attempt_id,
        delivery_id=target.delivery_id,
        link_id=target.link_id if target.kind == Kind.CLICK else None,
        at=timezone.now(),
        head=head,
        agent=agent[:AGENT_CHARS],
    )
    if settings.TRACKING_FLUSH_MS > 0:
        hit_buffer.add(hit)
    else:
        hit.save()
