"""Claiming runs: find the mailings with a run due, and start each exactly once across
any number of processes.

A run is claimed by a conditional UPDATE of the mailing (`next_run_at` or
`send_requested_at` still holding the value we read); only the process that changed the
row creates the Attempt and its Delivery rows, in the same transaction. The database
refuses a second open run of a mailing (a partial unique index), whatever raced us.
"""

import logging
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q

from audience.segments import RuleError
from mailings.lifecycle import mailing_plan, run_slot
from mailings.models import RUNNABLE, SCHEDULED, Mailing
from mailings.schedule import ONCE

from .ledger import deliveries_insert
from .models import Attempt
from .runs import attempt_refuse

log = logging.getLogger(__name__)

SEGMENT_INVALID = (
    "Not sent: the mailing's segment cannot be evaluated (%(reason)s). Fix its conditions."
)


def due_mailings(*, now: datetime):
    """Mailings with a run to start: a due slot or a "Send now", none already running."""
    return (
        Mailing.objects.filter(owner__is_active=True)
        .filter(
            Q(status__in=SCHEDULED, next_run_at__lte=now)
            | Q(status__in=RUNNABLE, send_requested_at__lte=now)
        )
        .exclude(Exists(Attempt.objects.in_progress().filter(mailing=OuterRef("pk"))))
        .select_related("owner")
        .order_by("next_run_at", "pk")
    )


def run_claim(*, mailing: Mailing, now: datetime) -> Attempt | None:
    """Start the run `mailing` (as read a moment ago) is due for, unless another
    process got there first. Returns the new Attempt, or None."""
    try:
        with transaction.atomic():
            return _claim(mailing=mailing, now=now)
    except IntegrityError:
        # A run of this mailing opened meanwhile (a resend): this claim waits for the
        # next pass, after that run has ended.
        log.info("Mailing %s has a run open already; its due run waits", mailing.pk)
        return None


def _claim(*, mailing: Mailing, now: datetime) -> Attempt | None:
    """The claim is an UPDATE of the mailing row alone, conditioned on its own columns:
    PostgreSQL re-checks such conditions on the latest version of a row another
    transaction just changed, but not conditions inside a subquery (which is what a
    filter across a join or an Exists becomes), so those are checked beforehand.
    """
    owner_active = get_user_model().objects.filter(pk=mailing.owner_id, is_active=True)
    running = Attempt.objects.in_progress().filter(mailing_id=mailing.pk)
    if not owner_active.exists() or running.exists():
        return None
    filters: dict = {"pk": mailing.pk}
    updates: dict = {"updated_at": now}
    trigger = None
    runs = False
    slot_at = None
    if mailing.status in SCHEDULED and mailing.next_run_at and mailing.next_run_at <= now:
        filters["next_run_at"] = mailing.next_run_at
        filters["status__in"] = SCHEDULED
        # No run starts at or after the end: a slot missed past it is dropped.
        runs = mailing.end_at is None or now < mailing.end_at
        updates["status"], updates["next_run_at"] = mailing_plan(
            mailing=mailing, now=now, last_run_at=now, running=runs
        )
        trigger = Attempt.Trigger.SCHEDULE
        slot_at = run_slot(mailing=mailing, due_at=mailing.next_run_at)
    if mailing.send_requested_at and mailing.send_requested_at <= now:
        filters["send_requested_at"] = mailing.send_requested_at
        filters.setdefault("status__in", RUNNABLE)
        updates["send_requested_at"] = updates["requested_slot_at"] = None
        runs = True
        if trigger is None:
            trigger, slot_at = Attempt.Trigger.MANUAL, mailing.requested_slot_at
    if trigger is None:
        return None
    claimed = Mailing.objects.filter(**filters).update(**updates)
    if claimed != 1 or not runs:
        return None
    already = mailing.attempts.all()
    if mailing.periodicity != ONCE:
        already = already.filter(slot_at=slot_at)
    if slot_at is not None and already.exists():
        # That slot has had its run (the schedule moved on above); a one-off mailing
        # has one run whatever happened to its schedule. The database would refuse a
        # second one anyway.
        log.warning("Mailing %s already ran for %s; not again", mailing.pk, slot_at)
        return None
    attempt = Attempt.objects.create(
        mailing=mailing,
        trigger=trigger,
        slot_at=slot_at,
        started_at=now,
        status=Attempt.Status.IN_PROGRESS,
    )
    try:
        attempt.total_count = deliveries_insert(attempt=attempt, mailing=mailing)
    except RuleError as error:
        attempt_refuse(attempt_id=attempt.pk, reason=SEGMENT_INVALID % {"reason": error}, now=now)
        return attempt
    if attempt.total_count:
        attempt.save(update_fields=["total_count"])
    log.info(
        "Claimed run %s of mailing %s: %s recipients", attempt.pk, mailing.pk, attempt.total_count
    )
    return attempt


def runs_claim_due(*, now: datetime, mailing_ids: Iterable[int] | None = None) -> list[Attempt]:
    mailings = due_mailings(now=now)
    if mailing_ids is not None:
        mailings = mailings.filter(pk__in=list(mailing_ids))
    claimed = []
    # Fetched first: SQLite cannot keep a cursor open across the claims' writes.
    for mailing in list(mailings[:1000]):
        attempt = run_claim(mailing=mailing, now=now)
        if attempt is not None:
            claimed.append(attempt)
    return claimed
