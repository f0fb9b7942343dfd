"""What the mailing page shows about the current run, for the template and its JSON feed."""

from django.utils import formats, timezone

from mailings.models import SCHEDULED, Mailing
from sending.holds import hold_current
from sending.models import Attempt, Delivery


def _when(moment) -> str:
    return (
        formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment else ""
    )


def _percent(part: int, total: int) -> float:
    return round(100 * part / total, 1) if total else 0.0


def current_attempt(mailing: Mailing) -> Attempt | None:
    return mailing.attempts.order_by("-started_at", "-pk").first()


def mailing_progress(*, mailing: Mailing) -> dict:
    """Counts of the latest run (live while it runs) and whether the page should poll."""
    now = timezone.now()
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
    data: dict = {"mailing": mailing.pk, "waiting": waiting, "attempt": None, "hold": None}
    if attempt is not None:
        if running:
            counts = Delivery.objects.counts(attempt_id=attempt.pk)
            pending = counts["pending"] + counts["sending"]
            sent, failed, unknown, total = (
                counts["sent"],
                counts["failed"],
                counts["unknown"],
                counts["total"],
            )
        else:
            pending = 0
            sent, failed, unknown = attempt.sent_count, attempt.failed_count, attempt.unknown_count
            total = attempt.total_count
        data["attempt"] = {
            "id": attempt.pk,
            "status": attempt.status,
            "status_display": str(attempt.get_status_display()),
            "trigger_display": str(attempt.get_trigger_display()),
            "started_at": _when(attempt.started_at),
            "finished_at": _when(attempt.finished_at),
            "server_response": attempt.server_response,
            "sent": sent,
            "failed": failed,
            "unknown": unknown,
            "pending": pending,
            "total": total,
            "percent": {
                "sent": _percent(sent, total),
                "failed": _percent(failed, total),
                "unknown": _percent(unknown, total),
            },
            "resendable": failed + unknown if not running else 0,
        }
    if running or waiting:
        hold = hold_current(now=now)
        if hold is not None:
            data["hold"] = {
                "reason": hold.reason,
                "reason_display": str(hold.get_reason_display()),
                "needs_operator": hold.needs_operator,
                "retry_at": _when(hold.retry_at),
                "server_response": hold.server_response,
            }
    data["active"] = running or waiting
    return data
