"""The request path of a tracked link or pixel: what the token points at, and one row
written for the next pass to fold (tracking.events). Nothing else touches the database:
a link's target is read once per process and link, then kept in the cache."""

import zlib

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from .models import Hit, Kind, Link
from .tokens import Target

TARGET_SECONDS = 24 * 3600
AGENT_CHARS = Hit._meta.get_field("agent").max_length


def click_destination(target: Target) -> str | None:
    """The address a click token leads to, None when its link is not its run's."""
    key = f"tracking:link:{target.link_id}"
    known = cache.get(key)
    if known is None:
        known = Link.objects.filter(pk=target.link_id).values_list("attempt_id", "url").first()
        if known is None:
            return None
        cache.set(key, known, TARGET_SECONDS)
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
    Hit.objects.create(
        kind=target.kind,
        mode=target.mode,
        attempt_id=target.attempt_id,
        delivery_id=target.delivery_id,
        link_id=target.link_id if target.kind == Kind.CLICK else None,
        at=timezone.now(),
        head=head,
        agent=agent[:AGENT_CHARS],
    )
