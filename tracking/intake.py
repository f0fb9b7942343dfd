"""The request path of a tracked link or pixel: what the token points at, and one row
written for the next pass to fold (tracking.events). A link's target is read from the
database once per process and link (links never change), so that a click costs one
replay check in the cache and one INSERT."""

import zlib

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from .models import Hit, Kind, Link
from .tokens import Target

AGENT_CHARS = Hit._meta.get_field("agent").max_length
TARGETS_KEPT = 10_000
_targets: dict[int, tuple[int, str]] = {}

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
    known = _targets.get(target.link_id)
    if known is None:
        known = Link.objects.filter(pk=target.link_id).values_list("attempt_id", "url").first()
        if known is None:
            return None
        if len(_targets) >= TARGETS_KEPT:
            _targets.clear()
        _targets[target.link_id] = known
    attempt_id, url = known
    return url if attempt_id == target.attempt_id else None


def hit_record(target: Target, *, head: bool, agent: str) -> None:
    """One row for the next pass. The same request again from the same agent within
    TRACKING_REPLAY_SECONDS (a reload, a flood on one link) writes nothing: the figures
    count each recipient once anyway, and the table stays small under a flood."""
    replay = (
        f"tracking:hit:{target.kind}:{target.attempt_id}:{target.delivery_id}:"
        f"{target.link_id}:{int(head)}:{zlib.crc32(agent.encode(errors='replace'))}"
    )
    if not cache.add(replay, 1, settings.TRACKING_REPLAY_SECONDS):
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
