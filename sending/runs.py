"""The bookkeeping of runs under way: their counts, closing them, stopping the cancelled
ones, pausing them, expiring the leases of rows a dead process left in flight, and
naming the runs that stalled (for /healthz)."""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from mailings.lifecycle import mailing_run_ended
from mailings.models import Mailing

from . import holds
from .conf import lease_seconds
from .models import Attempt, Delivery

log = logging.getLogger(__name__)

LEASE_EXPIRED = (
    "The sending process stopped while this message was being handed to the server; "
    "it may or may not have been delivered."
)
STOPPED_DISABLED = "Not sent: the mailing was disabled."
STOPPED_BLOCKED = "Not sent: the owner's account is blocked."
NO_RECIPIENTS = "No recipients: every client of the mailing has unsubscribed or none was chosen."


def unfinished_attempts(*, mailing_ids: Iterable[int] | None = None):
    # A paused run waits for its owner, not for a sender.
    attempts = Attempt.objects.in_progress().filter(paused_at__isnull=True).order_by("started_at")
    if mailing_ids is not None:
        attempts = attempts.filter(mailing_id__in=list(mailing_ids))
    return attempts.values_list("pk", flat=True)


def deliveries_expire_leases(*, now: datetime) -> int:
    """Rows left `sending` by a process that died: the server may hold the message."""
    unfinished = list(unfinished_attempts())
    if not unfinished:
        return 0
    # Conditions on the rows themselves (no join): re-checked if a live worker writes
    # its outcome at the same moment, which must win.
    return Delivery.objects.filter(
        attempt_id__in=unfinished,
        status=Delivery.Status.SENDING,
        claimed_at__lt=now - timedelta(seconds=lease_seconds()),
    ).update(status=Delivery.Status.UNKNOWN, server_response=LEASE_EXPIRED)


def attempts_stop_cancelled() -> int:
    """Unfinished runs of a disabled mailing or a blocked owner end here: what was not
    sent is recorded as failed, so that nobody is skipped silently."""
    stopped = 0
    unfinished = Attempt.objects.in_progress()
    for reason, condition in (
        (STOPPED_DISABLED, Q(mailing__status=Mailing.Status.DISABLED)),
        (STOPPED_BLOCKED, Q(mailing__owner__is_active=False)),
    ):
        for attempt_id in unfinished.filter(condition).values_list("pk", flat=True):
            Delivery.objects.filter(attempt_id=attempt_id, status=Delivery.Status.PENDING).update(
                status=Delivery.Status.FAILED, server_response=reason
            )
            stopped += attempt_finish_if_done(attempt_id=attempt_id, reply=reason)
    return stopped


def attempt_finish_if_done(
    *, attempt_id: int, reply: str = "", now: datetime | None = None
) -> bool:
    """Close the run once no row is pending or in flight; complete the mailing when no
    run follows. Safe to call from many processes: one of them closes it."""
    counts = Delivery.objects.counts(attempt_id=attempt_id)
    if counts["pending"] or counts["sending"]:
        return False
    now = now or timezone.now()
    success = not counts["failed"] and not counts["unknown"]
    updates = {
        "status": Attempt.Status.SUCCESS if success else Attempt.Status.FAILURE,
        "finished_at": now,
        "total_count": counts["total"],
        "sent_count": counts["sent"],
        "failed_count": counts["failed"],
        "unknown_count": counts["unknown"],
    }
    if not counts["total"]:
        updates["server_response"] = NO_RECIPIENTS
    elif reply and success:
        # A clean run shows the server's last "250 OK"; a failed one keeps its error.
        updates["server_response"] = reply[:2000]
    closed = Attempt.objects.in_progress().filter(pk=attempt_id).update(**updates)
    if closed:
        _run_ended(attempt_id=attempt_id, now=now)
    return bool(closed)


def attempt_refuse(*, attempt_id: int, reason: str, now: datetime) -> None:
    """A run whose recipients could not be worked out (its segment names a tag that is
    gone, say) ends at once as a failure that says why; nobody was sent anything."""
    closed = (
        Attempt.objects.in_progress()
        .filter(pk=attempt_id)
        .update(status=Attempt.Status.FAILURE, finished_at=now, server_response=reason[:2000])
    )
    if closed:
        _run_ended(attempt_id=attempt_id, now=now)
    log.warning("Run %s not sent: %s", attempt_id, reason)


def _run_ended(*, attempt_id: int, now: datetime) -> None:
    mailing_id = Attempt.objects.values_list("mailing_id", flat=True).get(pk=attempt_id)
    mailing_run_ended(mailing_id=mailing_id, now=now)


def attempt_pause(*, attempt_id: int, reason: str, reply: str) -> None:
    """Sending stops for everyone (a refused login, the breaker): the run shows why."""
    holds.hold_record(reason=reason, server_response=reply)
    Attempt.objects.filter(pk=attempt_id).update(server_response=reply[:2000])
    log.warning("Sending stopped (%s): %s", reason, reply)


def attempt_stop(*, attempt_id: int, reason: str) -> int:
    """End a run that must not send (say, its signing key is unusable): every row not
    yet sent fails with the reason, which the report and the owner's page show."""
    stopped = Delivery.objects.filter(attempt_id=attempt_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.FAILED, server_response=reason[:2000]
    )
    Attempt.objects.filter(pk=attempt_id).update(server_response=reason[:2000])
    attempt_finish_if_done(attempt_id=attempt_id)
    log.warning("Run %s stopped: %s", attempt_id, reason)
    return stopped


# A run with recipients waiting that no process has touched for this long has stalled.
STALLED_AFTER = timedelta(minutes=1)


def stalled_runs(*, now: datetime | None = None) -> list[int]:
    """Runs under way with recipients due for over a minute while nothing at all was
    claimed for sending in that minute (no scheduler or worker is sending: a lost batch,
    a broker or scheduler away). Not while sending is on hold: that says why itself."""
    now = now or timezone.now()
    since = now - STALLED_AFTER
    if holds.hold_current(now=now) is not None:
        return []
    unfinished = Attempt.objects.in_progress().filter(paused_at__isnull=True)
    if Delivery.objects.filter(attempt__in=unfinished, claimed_at__gte=since).exists():
        return []
    overdue = Delivery.objects.filter(
        attempt=OuterRef("pk"), status=Delivery.Status.PENDING
    ).filter(Q(next_try_at__lte=since) | Q(next_try_at__isnull=True))
    return list(
        unfinished.filter(started_at__lte=since)
        .filter(Exists(overdue))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
