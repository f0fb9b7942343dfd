"""A mailing's life (SPEC §2): saving and scheduling it, "Send now", disabling and
duplicating it, and the guards that say why not. The web pages and the API call these
alone, so the two doors cannot disagree. Nothing here sends: a run is asked of the
engine with the `run_wanted` signal, and run facts are read through `mailing.attempts`.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from .models import SCHEDULED, Mailing
from .schedule import ONCE, next_run
from .signals import run_wanted

# Room left in a 255-character name for " (copy)" in any language.
NAME_ROOM = 230


def _wanted(mailing: Mailing) -> None:
    run_wanted.send(sender=Mailing, mailing_id=mailing.pk)


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
        runs = runs.taking_slots()
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


def mailing_run_ended(*, mailing_id: int, now: datetime) -> None:
    """The engine finished a run: with no next run and no "Send now" waiting, the
    mailing is done."""
    Mailing.objects.filter(
        pk=mailing_id,
        status=Mailing.Status.RUNNING,
        next_run_at__isnull=True,
        send_requested_at__isnull=True,
    ).update(status=mailing_status(following=None, now=now, running=False), updated_at=now)


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
        _wanted(mailing)


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
        _wanted(mailing)
    return bool(queued)


class SendNowRefused(Exception):
    """ "Send now" did not queue a run; the message says why, in the user's words."""


def mailing_send_now(*, mailing: Mailing) -> SendNowPlan:
    """Press "Send now" for either door: the plan the queued run follows. Raises
    SendNowRefused when no run was queued (a press that lost a race to another one, or
    to the scheduler, says what happened instead)."""
    refusal = send_now_refusal(mailing=mailing)
    if refusal is not None:
        raise SendNowRefused(refusal)
    plan = send_now_plan(mailing=mailing)
    if enqueue_run(mailing=mailing):
        return plan
    mailing.refresh_from_db()
    raise SendNowRefused(
        send_now_refusal(mailing=mailing)
        or gettext("A run was already requested and has not started yet.")
    )


def disable_refusal(*, mailing: Mailing) -> str | None:
    """Why the mailing cannot be disabled, in the user's words (None: it can). Not an
    error: disabling is asked twice, or of a mailing with nothing left to stop."""
    if mailing.status == Mailing.Status.DISABLED:
        return gettext("The mailing was already disabled.")
    if mailing.status == Mailing.Status.COMPLETED:
        return gettext("The mailing has completed: it does not run again.")
    return None


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
    _wanted(mailing)


# What a copy does not take over: its identity, its own name, and the run state (a copy
# is a draft that never ran). Every other field of Mailing, a future one included, is
# copied as it is (mailings/tests/test_duplicate.py goes through them all).
NOT_DUPLICATED = frozenset(
    {
        "id",
        "name",
        "status",
        "next_run_at",
        "send_requested_at",
        "requested_slot_at",
        "created_at",
        "updated_at",
    }
)


@transaction.atomic
def mailing_duplicate(*, mailing: Mailing) -> Mailing:
    """A draft with every setting of the original: message, recipients, sender,
    language, tracking, schedule.

    A draft is invisible to the engine (neither due nor sendable) until its owner saves
    it through the form, which schedules it like a new mailing: a copy of a mailing
    whose start has passed never goes out by itself.
    """
    name = gettext("%(name)s (copy)") % {"name": mailing.title[:NAME_ROOM]}
    copy = Mailing.objects.create(
        **{
            field.attname: getattr(mailing, field.attname)
            for field in Mailing._meta.concrete_fields
            if field.name not in NOT_DUPLICATED
        },
        name=name[:255],
        status=Mailing.Status.DRAFT,
        next_run_at=None,
    )
    for field in Mailing._meta.many_to_many:
        getattr(copy, field.name).set(getattr(mailing, field.name).values_list("pk", flat=True))
    return copy
