"""What the rest of the site may ask of the sending engine. Nothing here sends: it
records the wish in the database and, once the transaction commits, nudges whoever
sends (the embedded scheduler, or a Celery worker when CELERY_BROKER_URL is set)."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Case, Max, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from audience.models import Client, Suppression
from audience.suppressions import suppression_lift, suppression_record
from config.limits import limit_hit
from content.renderer import Recipient, Renderer
from mailings.models import Mailing
from senders.models import Sender

from .conf import celery_enabled
from .heartbeat import wake
from .models import SCHEDULED, Attempt, Delivery, QueuedEmail
from .schedule import ONCE, next_run
from .signals import work_queued


def nudge(mailing_id: int | None = None) -> None:
    """Have the sender look at the mailing (or, with None, at the account emails) now
    rather than at its next pass. After commit, never inside the request: the sender
    must see the committed rows."""

    def send() -> None:
        if celery_enabled():
            work_queued.send(sender=nudge, mailing_id=mailing_id)
        else:
            wake()

    transaction.on_commit(send)


def mailing_status(
    *, following: datetime | None, now: datetime, ran_before: bool = False, running: bool = False
) -> str:
    """A mailing's status (SPEC §2), decided here only: `running` inside its window,
    `created` before it, `completed` once no run follows and none is under way."""
    if following is None:
        # The run under way completes the mailing when it ends.
        return Mailing.Status.RUNNING if running else Mailing.Status.COMPLETED
    if following <= now or ran_before:
        return Mailing.Status.RUNNING
    return Mailing.Status.CREATED


def mailing_plan(
    *, mailing: Mailing, now: datetime, last_run_at: datetime | None, running: bool
) -> tuple[str, datetime | None]:
    """The status and next run of `mailing` after its last scheduled run at `last_run_at`
    (None before the first), with a run under way or not. Used by the form's
    `mailing_schedule` and by the engine when it claims a run."""
    following = next_run(
        start_at=mailing.start_at,
        periodicity=mailing.periodicity,
        end_at=mailing.end_at,
        last_run_at=last_run_at,
        now=now,
        time_zone=ZoneInfo(mailing.owner.time_zone),
    )
    status = mailing_status(
        following=following, now=now, ran_before=last_run_at is not None, running=running
    )
    return status, following


def run_slot(*, mailing: Mailing, due_at: datetime | None) -> datetime | None:
    """The schedule slot a run of `mailing` due at `due_at` stands for, as its Attempt
    records it (unique per mailing). A one-off mailing has one slot whatever its start
    is moved to: its creation time."""
    return mailing.created_at if mailing.periodicity == ONCE else due_at


def _last_scheduled_run(mailing: Mailing) -> datetime | None:
    """The latest schedule slot taken by a run, or by a "Send now" not yet claimed: a
    one-off mailing's only one, once it ran or was asked to; a recurring one's latest
    slot run by schedule or by "Send now"."""
    runs = mailing.attempts.all()
    if mailing.periodicity != ONCE:
        runs = runs.filter(Q(trigger=Attempt.Trigger.SCHEDULE) | Q(slot_at__isnull=False))
    taken = [runs.aggregate(last=Max(Coalesce("slot_at", "started_at")))["last"]]
    asked = (
        Mailing.objects.filter(pk=mailing.pk, send_requested_at__isnull=False)
        .values_list("requested_slot_at", "send_requested_at")
        .first()
    )
    if asked:
        slot_at, requested_at = asked
        taken.append(requested_at if mailing.periodicity == ONCE else slot_at)
    return max((moment for moment in taken if moment is not None), default=None)


@transaction.atomic
def mailing_schedule(*, mailing: Mailing) -> None:
    """Set the status and next run of a newly created or edited mailing (SPEC §2).

    Inside its window the mailing is `running` and its due run is queued on commit;
    before it, `created`; past its end (or once sent, for `once`), `completed`.
    """
    if mailing.status == Mailing.Status.DISABLED:
        return
    now = timezone.now()
    status, following = mailing_plan(
        mailing=mailing,
        now=now,
        last_run_at=_last_scheduled_run(mailing) if mailing.pk else None,
        running=mailing.pk is not None
        and (
            mailing.attempts.in_progress().exists()
            or Mailing.objects.filter(pk=mailing.pk, send_requested_at__isnull=False).exists()
        ),
    )
    mailing.status, mailing.next_run_at = status, following
    Mailing.objects.filter(pk=mailing.pk).exclude(status=Mailing.Status.DISABLED).update(
        status=status, next_run_at=following, updated_at=now
    )
    if following is not None and following <= now:
        nudge(mailing.pk)


def send_now_refusal(*, mailing: Mailing) -> str | None:
    """Why "Send now" cannot run the mailing, in the user's words (None: it can). The
    web page and the API ask here, so the two doors answer alike."""
    if mailing.status == Mailing.Status.DISABLED:
        return gettext("A disabled mailing cannot be sent.")
    if mailing.status == Mailing.Status.DRAFT:
        return gettext("Save this draft with its first send before sending it.")
    if mailing.send_requested_at is not None:
        return gettext("A run was already requested and has not started yet.")
    if mailing.periodicity == ONCE and mailing.attempts.exists():
        return gettext(
            "This mailing runs once and has already been sent. To send it again, "
            "duplicate it; to reach those who did not get it, resend its run."
        )
    return None


@dataclass(frozen=True)
class SendNowPlan:
    """What "Send now" does to the schedule: the slot its run takes the place of (None:
    a run outside the schedule) and the next scheduled run after it."""

    slot_at: datetime | None
    next_run_at: datetime | None
    once: bool = False

    def describe(self) -> str:
        """What happens to the schedule, for the confirmation and the API's answer."""
        if self.once:
            return gettext("This is the mailing's one run: it will not run again at its time.")
        if self.slot_at is None:
            return gettext("The mailing's schedule is over: this is an extra run.")
        replaced = gettext("This run takes the place of the one scheduled for %(when)s.") % {
            "when": _when(self.slot_at)
        }
        if self.next_run_at is None:
            return f"{replaced} {gettext('No scheduled run follows it.')}"
        following = gettext("The next scheduled run is %(when)s.") % {
            "when": _when(self.next_run_at)
        }
        return f"{replaced} {following}"


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def send_now_plan(*, mailing: Mailing, now: datetime | None = None) -> SendNowPlan:
    """A one-off mailing's run now *is* its run; a recurring mailing's takes the place of
    its next scheduled run, so no period gets two runs. Past its end, a recurring
    mailing's run is an extra one."""
    now = now or timezone.now()
    if mailing.periodicity == ONCE:
        return SendNowPlan(
            slot_at=run_slot(mailing=mailing, due_at=None), next_run_at=None, once=True
        )
    if mailing.status not in SCHEDULED or mailing.next_run_at is None:
        return SendNowPlan(slot_at=None, next_run_at=None)
    following = next_run(
        start_at=mailing.start_at,
        periodicity=mailing.periodicity,
        end_at=mailing.end_at,
        last_run_at=mailing.next_run_at,
        now=now,
        time_zone=ZoneInfo(mailing.owner.time_zone),
    )
    return SendNowPlan(slot_at=mailing.next_run_at, next_run_at=following)


@transaction.atomic
def enqueue_run(*, mailing: Mailing) -> bool:
    """Ask for one run of the mailing now ("Send now"); a worker picks it up.

    The schedule is consumed in this transaction (see `send_now_plan`), so the run the
    press asked for is the only one its slot gets. False when there is nothing to do:
    `send_now_refusal` says why.
    """
    now = timezone.now()
    mailing = (
        Mailing.objects.select_for_update(of=("self",)).select_related("owner").get(pk=mailing.pk)
    )
    if send_now_refusal(mailing=mailing) is not None:
        return False
    plan = send_now_plan(mailing=mailing, now=now)
    updates = {
        "send_requested_at": now,
        "requested_slot_at": plan.slot_at,
        "updated_at": now,
    }
    if plan.slot_at is not None:
        updates["next_run_at"] = plan.next_run_at
        updates["status"] = Mailing.Status.RUNNING
    # Conditioned on what was read: a scheduler's claim that got there first wins.
    queued = Mailing.objects.filter(
        pk=mailing.pk,
        send_requested_at__isnull=True,
        status=mailing.status,
        next_run_at=mailing.next_run_at,
    ).update(**updates)
    if queued:
        nudge(mailing.pk)
    return bool(queued)


@transaction.atomic
def mailing_disable(*, mailing: Mailing) -> None:
    """Stop the mailing for good: no run starts, and a run under way sends nothing more
    (its unsent recipients are recorded as failed by the next scheduler pass)."""
    Mailing.objects.filter(pk=mailing.pk).update(
        status=Mailing.Status.DISABLED,
        next_run_at=None,
        send_requested_at=None,
        requested_slot_at=None,
        updated_at=timezone.now(),
    )
    mailing.status = Mailing.Status.DISABLED
    mailing.next_run_at = mailing.send_requested_at = mailing.requested_slot_at = None
    nudge(mailing.pk)


@transaction.atomic
def attempt_resend(*, attempt: Attempt, include_unknown: bool = False) -> int:
    """Send a finished run again to its failed (and optionally unknown) recipients only.

    Rows already sent are never touched. The run is reopened and its rows go back to
    pending with their tries reset; returns how many will be sent again.
    """
    statuses = [Delivery.Status.FAILED]
    if include_unknown:
        statuses.append(Delivery.Status.UNKNOWN)
    # An erased recipient (audience.privacy) has no address left to send to.
    again = Delivery.objects.filter(attempt=attempt, status__in=statuses).exclude(email="")
    if not again.exists():
        return 0
    # Locked, as a claim's UPDATE of the mailing would: the two take turns.
    mailing = (
        Mailing.objects.select_for_update(of=("self",))
        .select_related("owner")
        .get(pk=attempt.mailing_id)
    )
    # One run of a mailing at a time: not while another one is under way (and the
    # database refuses a second one if a claim got there between the check and now).
    busy = mailing.attempts.in_progress().exists()
    if busy or mailing.status == Mailing.Status.DISABLED or not mailing.owner.is_active:
        return 0
    try:
        # A condition on the row's own column, so that two clicks reopen it once.
        with transaction.atomic():
            reopened = (
                Attempt.objects.filter(pk=attempt.pk)
                .exclude(status=Attempt.Status.IN_PROGRESS)
                .update(status=Attempt.Status.IN_PROGRESS, finished_at=None)
            )
    except IntegrityError:
        return 0
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
    nudge(attempt.mailing_id)
    return count


@transaction.atomic
def client_unsubscribe(*, client: Client) -> bool:
    """The recipient asked to get no more mailings from this owner (idempotent).

    A complaint already unsubscribed them; a bounced address keeps its status (its
    date is kept), so that the link cannot turn a bounce into an unsubscribe the
    recipient could then take back."""
    changed = (
        Client.objects.filter(pk=client.pk, unsubscribed_at__isnull=True)
        .exclude(status=Client.Status.COMPLAINED)
        .update(
            unsubscribed_at=timezone.now(),
            status=Case(
                When(status=Client.Status.BOUNCED, then=Value(Client.Status.BOUNCED)),
                default=Value(Client.Status.UNSUBSCRIBED),
            ),
        )
    )
    client.refresh_from_db(fields=["unsubscribed_at", "status"])
    if changed:
        suppression_record(client=client, status=Client.Status.UNSUBSCRIBED)
    return bool(changed)


@transaction.atomic
def client_resubscribe(*, client: Client) -> bool:
    """The recipient changed their mind on the unsubscribe page (a confirming POST).

    Only their own unsubscription: a complaint or a hard bounce is lifted by the owner
    alone, on the suppression page, with a reason."""
    changed = Client.objects.filter(pk=client.pk, status=Client.Status.UNSUBSCRIBED).update(
        unsubscribed_at=None, status=Client.Status.ACTIVE
    )
    client.refresh_from_db(fields=["unsubscribed_at", "status"])
    if changed:
        suppression_lift(
            owner_id=client.owner_id, email=client.email, by=Suppression.LiftedBy.RECIPIENT
        )
    return bool(changed)


def attempt_pause_for_feedback(*, attempt_id: int, reason: str) -> bool:
    """Stop sending a run under way whose bounces or complaints show a problem (a bought
    list, a broken import): its pending recipients wait until the owner resumes it.
    True only for the call that paused it; a run its owner resumed is not paused again."""
    paused = (
        Attempt.objects.in_progress()
        .filter(pk=attempt_id, paused_at__isnull=True, pause_reason="")
        .update(paused_at=timezone.now(), pause_reason=reason[:2000])
    )
    return bool(paused)


def attempt_resume(*, attempt: Attempt) -> bool:
    """The owner looked into it: the paused run sends its pending recipients again."""
    resumed = Attempt.objects.filter(pk=attempt.pk, paused_at__isnull=False).update(paused_at=None)
    if resumed:
        attempt.paused_at = None
        nudge(attempt.mailing_id)
    return bool(resumed)


# A test send is for looking at the email, not for mailing people: a few a minute.
TEST_SENDS_PER_MINUTE = 5


class TestSendLimited(Exception):
    """Too many test sends this minute; try again shortly."""


def test_send_addresses(owner) -> list[str]:
    """Where a user may send themselves a test: their own address and their usable
    senders' (confirmed addresses, or on a verified domain)."""
    addresses = [owner.email]
    for address in Sender.objects.usable_by(owner).values_list("email", flat=True):
        if address.lower() not in (known.lower() for known in addresses):
            addresses.append(address)
    return addresses


def message_test_send(*, message, owner, to: str) -> None:
    """Queue one copy of `message` to `to` (one of `test_send_addresses(owner)`), as the
    message's latest mailing would send it, through the account-mail queue: sent by the
    worker, never in the request; not a run, so in no report. The subject says it is a
    test. Raises TestSendLimited past TEST_SENDS_PER_MINUTE (no limit while the cache
    is down: a few extra test emails to oneself harm nobody)."""
    if not limit_hit(
        scope="test-send", ident=str(owner.pk), limit=TEST_SENDS_PER_MINUTE, window=60
    ):
        raise TestSendLimited
    mailing = message.mailings.select_related("owner").order_by("-created_at").first()
    renderer = Renderer.for_message(message, mailing=mailing, subject_prefix=gettext("[Test] "))
    name = " ".join(owner.get_full_name().split())
    email = renderer.render(Recipient(delivery_id=0, client_id=0, email=to, full_name=name))
    QueuedEmail.objects.create(
        envelope_from=renderer.envelope.from_address if renderer.envelope else email.envelope_from,
        recipient=email.envelope_to,
        data=email.data,
    )
    nudge()
