"""The pass that folds hits into opens and clicks, run on every scheduler beat.

A batch of hits is read, turned into at most one Open per recipient of a run and one
Click per recipient of a link (human or machine: a scanner's click does not hide the
person's later one), written with the unique constraints ignoring what is already
there, and deleted, in one transaction; then the runs it touched are recounted. Any
number of passes may run at once: a hit folded twice changes nothing.
"""

import hashlib
import hmac
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q

from accounts.models import Tracking
from sending.models import Attempt, Delivery
from sending.services import attempt_engagement_counted

from .machines import hit_is_machine
from .models import Click, Hit, Kind, Open

BATCH = 1000
# The more private of two modes wins: an owner who turned tracking down since the
# email went out is obeyed for the hits still coming from it.
PRIVACY = {Tracking.OFF: 0, Tracking.AGGREGATE: 1, Tracking.RECIPIENT: 2}


def visitor_of(attempt_id: int, delivery_id: int) -> int:
    """A recipient of a run as a number that names nobody without SECRET_KEY."""
    key = hashlib.sha256(b"rassylka.tracking.visitor:" + settings.SECRET_KEY.encode()).digest()
    digest = hmac.new(key, f"{attempt_id}:{delivery_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1  # fits a signed bigint


def _modes_now(attempt_ids: Iterable[int]) -> dict[int, str]:
    rows = Attempt.objects.filter(pk__in=set(attempt_ids)).values_list(
        "pk", "mailing__tracking", "mailing__owner__tracking"
    )
    return {pk: mailing_mode or owner_mode for pk, mailing_mode, owner_mode in rows}


def _fold(hits: list[Hit]) -> set[int]:
    """Write the opens and clicks of `hits`; the runs they belong to."""
    deliveries = {
        pk: (attempt_id, sent_at or claimed_at)
        for pk, attempt_id, sent_at, claimed_at in Delivery.objects.filter(
            pk__in={hit.delivery_id for hit in hits}
        ).values_list("pk", "attempt_id", "sent_at", "claimed_at")
    }
    modes = _modes_now(hit.attempt_id for hit in hits)
    opens, clicks = [], []
    for hit in hits:
        delivery = deliveries.get(hit.delivery_id)
        current = modes.get(hit.attempt_id)
        if delivery is None or delivery[0] != hit.attempt_id or current is None:
            continue  # the run or its record is gone
        mode = min(hit.mode, current, key=lambda m: PRIVACY.get(m, 0))
        if mode == Tracking.OFF:
            continue
        per_recipient = mode == Tracking.RECIPIENT
        event = {
            "attempt_id": hit.attempt_id,
            "visitor": visitor_of(hit.attempt_id, hit.delivery_id),
            "machine": hit_is_machine(
                head=hit.head, agent=hit.agent, at=hit.at, sent_at=delivery[1]
            ),
            "at": hit.at if per_recipient else hit.at.replace(minute=0, second=0, microsecond=0),
            "delivery_id": hit.delivery_id if per_recipient else None,
        }
        if hit.kind == Kind.OPEN:
            opens.append(Open(**event))
        elif hit.link_id is not None:
            clicks.append(Click(link_id=hit.link_id, **event))
    Open.objects.bulk_create(opens, ignore_conflicts=True)
    Click.objects.bulk_create(clicks, ignore_conflicts=True)
    return {event.attempt_id for event in [*opens, *clicks]}


def hits_fold(*, batches: int = 100) -> int:
    """Fold waiting hits, up to `batches` batches; how many hits were taken."""
    taken = 0
    touched: set[int] = set()
    for _batch in range(batches):
        with transaction.atomic():
            hits = list(Hit.objects.select_for_update(skip_locked=True).order_by("pk")[:BATCH])
            if not hits:
                break
            touched |= _fold(hits)
            Hit.objects.filter(pk__in=[hit.pk for hit in hits]).delete()
        taken += len(hits)
    attempts_recount(touched)
    return taken


def attempts_recount(attempt_ids: Iterable[int]) -> None:
    """Each run's unique human and machine figures, counted again from its events: a
    recipient who clicked has opened, even with images off."""
    for attempt_id in attempt_ids:
        opens = Open.objects.filter(attempt_id=attempt_id).order_by()
        clicks = Click.objects.filter(attempt_id=attempt_id).order_by()
        openers = opens.human().values("visitor").union(clicks.human().values("visitor")).count()
        click_figures = clicks.aggregate(
            human=Count("visitor", distinct=True, filter=Q(machine=False)),
            machine=Count("visitor", distinct=True, filter=Q(machine=True)),
        )
        attempt_engagement_counted(
            attempt_id=attempt_id,
            openers=openers,
            clickers=click_figures["human"],
            machine_opens=opens.filter(machine=True).count(),
            machine_clicks=click_figures["machine"],
        )
