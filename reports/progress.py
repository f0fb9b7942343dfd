"""What the mailing page shows about a mailing and its current run.

One display state is decided here, in `mailing_progress`, for the page's header, its
progress card, its runs table and the JSON feed the page polls: they cannot disagree.
The counts of a run under way are read from its ledger (the Delivery rows) as they move;
a finished run's are those the ledger left on its Attempt when it closed.
"""

from datetime import datetime

from django.db.models import Case, Count, Min, TextChoices, When
from django.utils import formats, timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from mailings.models import SCHEDULED, Mailing
from senders.models import Relay
from sending.holds import hold_current
from sending.models import Attempt, Delivery


class State(TextChoices):
    """What a mailing (with its current run) is doing, worded for the mailing (the
    page's header and the feed's `state_display`); RUN_LABELS word it for a run."""

    DRAFT = "draft", pgettext_lazy("mailing state", "Draft")
    DISABLED = "disabled", pgettext_lazy("mailing state", "Disabled")
    SCHEDULED = "scheduled", pgettext_lazy("mailing state", "Scheduled")
    WAITING = "waiting", _("Waiting for a worker")
    SENDING = "sending", pgettext_lazy("mailing state", "Sending")
    RETRYING = "retrying", _("Retrying")
    PAUSED = "paused", pgettext_lazy("mailing state", "Paused")
    FINISHED = "finished", pgettext_lazy("mailing state", "Sent")
    FAILED = "failed", pgettext_lazy("mailing state", "Sent with failures")
    # Over without a run: its time passed while the service was down.
    ENDED = "ended", pgettext_lazy("mailing state", "Completed")


# The same states said of a run (the progress card, the runs table, the run's page): in
# Russian a run (запуск) and a mailing (рассылка) take different endings.
RUN_LABELS = {
    State.SENDING: pgettext_lazy("run state", "Sending"),
    State.RETRYING: _("Retrying"),
    State.PAUSED: pgettext_lazy("run state", "Paused"),
    State.FINISHED: pgettext_lazy("run state", "Finished"),
    State.FAILED: pgettext_lazy("run state", "Finished with failures"),
}

# Bootstrap's colour of each state's badge.
TONES = {
    State.DRAFT: "light border",
    State.DISABLED: "secondary",
    State.SCHEDULED: "info",
    State.WAITING: "warning",
    State.SENDING: "primary",
    State.RETRYING: "warning",
    State.PAUSED: "danger",
    State.FINISHED: "success",
    State.FAILED: "danger",
    State.ENDED: "secondary",
}
# States in which the page keeps asking the feed what changed.
LIVE = (State.WAITING, State.SENDING, State.RETRYING, State.PAUSED)
# How many of the recipients waiting to be tried again the card names.
RETRY_SAMPLE = 5


def _when(moment: datetime | None) -> str:
    return (
        formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment else ""
    )


def _percent(part: int, total: int) -> float:
    return round(100 * part / total, 1) if total else 0.0


def current_attempt(mailing: Mailing) -> Attempt | None:
    """The run under way (a resent earlier run may be it), else the latest."""
    under_way = Case(When(status=Attempt.Status.IN_PROGRESS, then=0), default=1)
    return mailing.attempts.order_by(under_way, "-started_at", "-pk").first()


def _state(value: State, *, of_run: bool = False) -> dict:
    label = RUN_LABELS[value] if of_run else value.label
    return {"state": value.value, "state_display": str(label), "state_tone": TONES[value]}


def finished_run_figures(attempt: Attempt) -> dict:
    """A closed run's state and counts, as the ledger left them on it (no query)."""
    sent, failed, unknown = attempt.sent_count, attempt.failed_count, attempt.unknown_count
    total = attempt.total_count
    return {
        **_state(
            State.FINISHED if attempt.status == Attempt.Status.SUCCESS else State.FAILED,
            of_run=True,
        ),
        "sent": sent,
        "failed": failed,
        "unknown": unknown,
        "pending": 0,
        "retrying": 0,
        "total": total,
        "next_retry_at": "",
        "retries": [],
    }


def run_figures(attempt: Attempt, *, now: datetime, paused: bool = False) -> dict:
    """The state and counts of one run: from its Delivery rows while it runs (`paused`:
    something outside the run stops it), else as it closed."""
    if attempt.status != Attempt.Status.IN_PROGRESS:
        return finished_run_figures(attempt)
    counts = Delivery.objects.counts(attempt_id=attempt.pk)
    # A row that was tried and put back with a later next try is waiting for its retry
    # (a temporary refusal such as 451); an untried row with one is held by a batch.
    retrying = attempt.deliveries.filter(
        status=Delivery.Status.PENDING, tries__gt=0, next_try_at__gt=now
    )
    waiting_retry = retrying.aggregate(count=Count("*"), first=Min("next_try_at"))
    due = counts["pending"] - waiting_retry["count"]
    if paused or attempt.paused_at is not None:
        state = State.PAUSED
    elif waiting_retry["count"] and not due and not counts["sending"]:
        state = State.RETRYING
    else:
        state = State.SENDING
    retries = []
    if waiting_retry["count"]:
        retries = [
            {"email": email, "next_try_at": _when(next_try_at), "server_response": reply}
            for email, next_try_at, reply in retrying.order_by("next_try_at", "pk").values_list(
                "email", "next_try_at", "server_response"
            )[:RETRY_SAMPLE]
        ]
    return {
        **_state(state, of_run=True),
        "sent": counts["sent"],
        "failed": counts["failed"],
        "unknown": counts["unknown"],
        # Not yet sent: due now, in flight, or waiting for a retry.
        "pending": counts["pending"] + counts["sending"],
        "retrying": waiting_retry["count"],
        "total": counts["total"],
        "next_retry_at": _when(waiting_retry["first"]),
        "retries": retries,
    }


def _hold(mailing: Mailing, *, now: datetime) -> dict | None:
    """What stops sending for this mailing's owner now: their own relay's hold, or the
    platform's when they send through it."""
    relay = Relay.objects.filter(owner_id=mailing.owner_id).first()
    if relay is not None:
        if not relay.is_held(now):
            return None
        return {
            "relay": True,
            "reason": relay.hold_reason,
            "reason_display": relay.get_hold_reason_display(),
            "needs_operator": relay.needs_owner,
            "retry_at": _when(relay.held_until),
            "server_response": relay.hold_reply,
        }
    hold = hold_current(now=now)
    if hold is None:
        return None
    return {
        "relay": False,
        "reason": hold.reason,
        "reason_display": str(hold.get_reason_display()),
        "needs_operator": hold.needs_operator,
        "retry_at": _when(hold.retry_at),
        "server_response": hold.server_response,
    }


def mailing_progress(*, mailing: Mailing, now: datetime | None = None) -> dict:
    """The mailing's one display state, its current run's counts, and whether the page
    should keep polling. Every part of the mailing page reads this."""
    now = now or timezone.now()
    attempt = current_attempt(mailing)
    running = attempt is not None and attempt.status == Attempt.Status.IN_PROGRESS
    # A due slot or a Send now is claimed only once the run under way has ended, so
    # while one runs there is nothing else to announce.
    waiting = (
        not running
        and mailing.status != Mailing.Status.DISABLED
        and bool(
            mailing.send_requested_at
            or (mailing.status in SCHEDULED and mailing.next_run_at and mailing.next_run_at <= now)
        )
    )
    hold = _hold(mailing, now=now) if running or waiting else None
    blocked = not mailing.owner.is_active
    data: dict = {"mailing": mailing.pk, "waiting": waiting, "attempt": None, "hold": hold}
    run = None
    if attempt is not None:
        run = run_figures(attempt, now=now, paused=bool(hold) or blocked)
        data["attempt"] = {
            "id": attempt.pk,
            "status": attempt.status,
            "status_display": run["state_display"],
            "trigger_display": str(attempt.get_trigger_display()),
            "started_at": _when(attempt.started_at),
            "finished_at": _when(attempt.finished_at),
            "server_response": attempt.server_response,
            **run,
            "percent": {
                "sent": _percent(run["sent"], run["total"]),
                "failed": _percent(run["failed"], run["total"]),
                "unknown": _percent(run["unknown"], run["total"]),
            },
            "resendable": run["failed"] + run["unknown"] if not running else 0,
        }

    detail = ""
    if mailing.status == Mailing.Status.DRAFT:
        state = State.DRAFT
    elif mailing.status == Mailing.Status.DISABLED:
        state = State.DISABLED
    elif running:
        state = State(run["state"])
        if state == State.RETRYING:
            detail = gettext(
                "Every other recipient has been answered; the run goes on by itself when "
                "the next try is due."
            )
        elif attempt.paused_at is not None:
            detail = gettext(
                "The run paused itself: too many addresses bounced or recipients "
                "complained. It continues when you resume it on the run's page."
            )
    elif (blocked and (waiting or mailing.next_run_at)) or (waiting and hold):
        # The page's alerts say why (the owner's block, the server's or relay's hold).
        state = State.PAUSED
    elif waiting:
        state = State.WAITING
        if mailing.send_requested_at:
            detail = gettext("A run was requested at %(when)s and is waiting for a worker.") % {
                "when": _when(mailing.send_requested_at)
            }
        else:
            detail = gettext("The run due at %(when)s is waiting for a worker.") % {
                "when": _when(mailing.next_run_at)
            }
    elif mailing.status in SCHEDULED and mailing.next_run_at:
        state = State.SCHEDULED
        detail = gettext("The next run starts at %(when)s.") % {"when": _when(mailing.next_run_at)}
    elif run is not None:
        state = State(run["state"])
    else:
        state = State.ENDED
        detail = gettext("Its time passed without a run.")

    data.update(_state(state))
    data["state_detail"] = detail
    data["next_run_at"] = _when(mailing.next_run_at)
    data["active"] = state in LIVE
    # A page left open on a mailing about to start asks again when it is due.
    data["due_in"] = (
        max(0, int((mailing.next_run_at - now).total_seconds()))
        if state == State.SCHEDULED
        else None
    )
    return data
