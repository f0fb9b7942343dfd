"""What the rest of the site may ask of the sending engine. Nothing here sends: it
records the wish in the database and, once the transaction commits, nudges whoever
sends (the embedded scheduler, or a Celery worker when CELERY_BROKER_URL is set)."""

from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from mailings.models import Attempt, Client, Delivery, Mailing

from .dispatch import celery_enabled
from .heartbeat import wake
from .schedule import next_run


def _nudge(mailing_id: int) -> None:
    """After commit, never inside the request: the sender must see the committed rows."""

    def nudge() -> None:
        if celery_enabled():
            from .tasks import dispatch_mailing

            dispatch_mailing.delay(mailing_id)
        else:
            wake()

    transaction.on_commit(nudge)


def _last_scheduled_run(mailing: Mailing):
    return (
        mailing.attempts.filter(trigger=Attempt.Trigger.SCHEDULE)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )


@transaction.atomic
def mailing_schedule(*, mailing: Mailing) -> None:
    """Set the status and next run of a newly created or edited mailing (SPEC §2).

    Inside its window the mailing is `running` and its due run is queued on commit;
    before it, `created`; past its end (or once sent, for `once`), `completed`.
    """
    if mailing.status == Mailing.Status.DISABLED:
        return
    now = timezone.now()
    last_run_at = _last_scheduled_run(mailing) if mailing.pk else None
    following = next_run(
        start_at=mailing.start_at,
        periodicity=mailing.periodicity,
        end_at=mailing.end_at,
        last_run_at=last_run_at,
        now=now,
        time_zone=ZoneInfo(mailing.owner.time_zone),
    )
    if following is None:
        status = Mailing.Status.COMPLETED
    elif following <= now or last_run_at is not None:
        status = Mailing.Status.RUNNING
    else:
        status = Mailing.Status.CREATED
    if (
        status == Mailing.Status.COMPLETED
        and mailing.attempts.filter(status=Attempt.Status.IN_PROGRESS).exists()
    ):
        # The run under way completes the mailing when it ends.
        status = Mailing.Status.RUNNING
    mailing.status, mailing.next_run_at = status, following
    Mailing.objects.filter(pk=mailing.pk).exclude(status=Mailing.Status.DISABLED).update(
        status=status, next_run_at=following, updated_at=now
    )
    if following is not None and following <= now:
        _nudge(mailing.pk)


@transaction.atomic
def enqueue_run(*, mailing: Mailing) -> bool:
    """Ask for one run of the mailing now ("Send now"); a worker picks it up.

    False when there is nothing to do: the mailing is disabled, or a run was already
    asked for and has not started yet.
    """
    queued = (
        Mailing.objects.filter(pk=mailing.pk, send_requested_at__isnull=True)
        .exclude(status=Mailing.Status.DISABLED)
        .update(send_requested_at=timezone.now())
    )
    if queued:
        _nudge(mailing.pk)
    return bool(queued)


@transaction.atomic
def mailing_disable(*, mailing: Mailing) -> None:
    """Stop the mailing for good: no run starts, and a run under way sends nothing more
    (its unsent recipients are recorded as failed by the next scheduler pass)."""
    Mailing.objects.filter(pk=mailing.pk).update(
        status=Mailing.Status.DISABLED,
        next_run_at=None,
        send_requested_at=None,
        updated_at=timezone.now(),
    )
    mailing.status = Mailing.Status.DISABLED
    mailing.next_run_at = mailing.send_requested_at = None
    _nudge(mailing.pk)


@transaction.atomic
def attempt_resend(*, attempt: Attempt, include_unknown: bool = False) -> int:
    """Send a finished run again to its failed (and optionally unknown) recipients only.

    Rows already sent are never touched. The run is reopened and its rows go back to
    pending with their tries reset; returns how many will be sent again.
    """
    statuses = [Delivery.Status.FAILED]
    if include_unknown:
        statuses.append(Delivery.Status.UNKNOWN)
    again = Delivery.objects.filter(attempt=attempt, status__in=statuses)
    if not again.exists():
        return 0
    mailing = Mailing.objects.select_related("owner").get(pk=attempt.mailing_id)
    # One run of a mailing at a time: not while another one is under way.
    busy = mailing.attempts.filter(status=Attempt.Status.IN_PROGRESS).exists()
    if busy or mailing.status == Mailing.Status.DISABLED or not mailing.owner.is_active:
        return 0
    # A condition on the row's own column, so that two clicks reopen it once.
    reopened = (
        Attempt.objects.filter(pk=attempt.pk)
        .exclude(status=Attempt.Status.IN_PROGRESS)
        .update(status=Attempt.Status.IN_PROGRESS, finished_at=None)
    )
    if not reopened:
        return 0
    count = again.update(
        status=Delivery.Status.PENDING,
        tries=0,
        next_try_at=None,
        claimed_at=None,
        server_response="",
    )
    attempt.status, attempt.finished_at = Attempt.Status.IN_PROGRESS, None
    _nudge(attempt.mailing_id)
    return count


def client_unsubscribe(*, client: Client) -> bool:
    """The recipient asked to get no more mailings from this owner (idempotent)."""
    changed = Client.objects.filter(pk=client.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now()
    )
    client.refresh_from_db(fields=["unsubscribed_at"])
    return bool(changed)


def client_resubscribe(*, client: Client) -> bool:
    """The recipient changed their mind on the unsubscribe page (a confirming POST)."""
    changed = Client.objects.filter(pk=client.pk, unsubscribed_at__isnull=False).update(
        unsubscribed_at=None
    )
    client.refresh_from_db(fields=["unsubscribed_at"])
    return bool(changed)
