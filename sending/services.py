"""What the rest of the site may ask of the sending engine. Nothing here sends: it
records the wish in the database and, with Celery configured, nudges a worker."""

from django.db import transaction
from django.utils import timezone

from mailings.models import Attempt, Mailing


def mailing_schedule(*, mailing: Mailing) -> None:
    """Set the status and next run of a newly created or edited mailing (SPEC §2)."""
    # Placeholder until the sending engine lands: first run at start_at.
    if mailing.status in (Mailing.Status.DISABLED, Mailing.Status.COMPLETED):
        return
    mailing.next_run_at = mailing.start_at
    mailing.save(update_fields=["next_run_at", "updated_at"])


def enqueue_run(*, mailing: Mailing) -> None:
    """Ask for one run of the mailing now ("Send now"); a worker picks it up."""
    Mailing.objects.filter(pk=mailing.pk).update(send_requested_at=timezone.now())
    transaction.on_commit(lambda: None)


def mailing_disable(*, mailing: Mailing) -> None:
    Mailing.objects.filter(pk=mailing.pk).update(
        status=Mailing.Status.DISABLED, next_run_at=None, send_requested_at=None
    )


def attempt_resend(*, attempt: Attempt, include_unknown: bool = False) -> int:
    """Send a run again to its failed (and optionally unknown) recipients only."""
    raise NotImplementedError
