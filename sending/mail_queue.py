"""Account emails (allauth's confirmations and password resets, Django's own mail) go
through a queue in the database instead of straight to SMTP from the web request."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from transport.smtp import (
    RETRY,
    SENT,
    UNKNOWN,
    ConnectionFailed,
    SendingPaused,
    transport_from_settings,
)

from . import holds
from .conf import retry_delay
from .models import QueuedEmail
from .services import nudge

log = logging.getLogger(__name__)

# A sender that dies holding a row gives it back after this long.
CLAIM_LEASE = timedelta(minutes=5)


class QueuedEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        rows = [
            QueuedEmail(
                envelope_from=message.from_email,
                recipient=recipient,
                data=message.message().as_bytes(linesep="\r\n"),
            )
            for message in email_messages
            for recipient in message.recipients()
        ]
        QueuedEmail.objects.bulk_create(rows)
        nudge()
        return len(email_messages)


def queued_emails_forget(*, now=None) -> int:
    """Delete the account emails sent or given up over QUEUED_EMAIL_KEEP_DAYS ago; return
    how many. They hold working confirmation and password-reset links, and the addresses
    of people who may since have asked to be forgotten."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.QUEUED_EMAIL_KEEP_DAYS)
    done = QueuedEmail.objects.exclude(status=QueuedEmail.Status.PENDING)
    deleted, _by_model = done.filter(created_at__lt=cutoff).delete()
    return deleted


def queued_emails_send(*, limit: int = 100) -> int:
    """Send what is due; return how many went out. Stops at the first broken connection."""
    now = timezone.now()
    due = list(
        QueuedEmail.objects.filter(status=QueuedEmail.Status.PENDING, next_try_at__lte=now)
        .order_by("pk")
        .values_list("pk", "next_try_at")[:limit]
    )
    if not due or holds.hold_current(now=now) is not None:
        return 0
    sent = 0
    transport = None
    try:
        transport = transport_from_settings()
        for pk, seen in due:
            claimed = QueuedEmail.objects.filter(
                pk=pk, status=QueuedEmail.Status.PENDING, next_try_at=seen
            ).update(next_try_at=now + CLAIM_LEASE)
            if not claimed:
                continue
            email = QueuedEmail.objects.get(pk=pk)
            transport.ensure_open()
            outcome = transport.send(
                envelope_from=email.envelope_from,
                envelope_to=email.recipient,
                data=bytes(email.data),
            )
            # A confirmation link sent twice is harmless; one never sent locks a user
            # out. So an ambiguous outcome is tried again rather than given up.
            _record(email, outcome.status, outcome.reply, retry=outcome.status in (RETRY, UNKNOWN))
            sent += outcome.status == SENT
            if outcome.broken:
                break
    except (ConnectionFailed, SendingPaused) as error:
        log.warning("Account emails wait: %s", error.reply)
        QueuedEmail.objects.filter(
            status=QueuedEmail.Status.PENDING, pk__in=[pk for pk, _ in due]
        ).update(next_try_at=now + timedelta(seconds=retry_delay(1)), last_reply=error.reply)
    finally:
        if transport is not None:
            transport.close()
    return sent


def _record(email: QueuedEmail, status: str, reply: str, *, retry: bool) -> None:
    now = timezone.now()
    email.tries += 1
    email.last_reply = reply
    if status == SENT:
        email.status, email.sent_at = QueuedEmail.Status.SENT, now
    elif retry and email.tries < settings.SEND_MAX_TRIES:
        email.next_try_at = now + timedelta(seconds=retry_delay(email.tries))
    else:
        email.status = QueuedEmail.Status.FAILED
    email.save(update_fields=["tries", "last_reply", "status", "sent_at", "next_try_at"])
