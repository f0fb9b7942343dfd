"""Account emails wait in the database: a web request never talks to the SMTP server."""

import email
import email.policy
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import PASSWORD
from sending.mail_queue import queued_emails_forget, queued_emails_send
from sending.models import QueuedEmail
from sending.passes import tick

pytestmark = pytest.mark.django_db

SIGNUP = {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD}


@pytest.fixture(autouse=True)
def _queued_backend(settings):
    settings.EMAIL_BACKEND = "sending.mail_queue.QueuedEmailBackend"


def test_sign_up_answers_at_once_while_the_smtp_server_hangs(csrf_client, smtp_server, settings):
    settings.SMTP_TIMEOUT = 5
    smtp_server.faults.no_greeting = True
    response = csrf_client.submit("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    assert smtp_server.handler.connections == 0  # the request did not even connect
    queued = QueuedEmail.objects.get()
    assert (queued.recipient, queued.status) == ("new@example.com", "pending")

    settings.SMTP_TIMEOUT = 0.5
    before = timezone.now()
    assert queued_emails_send() == 0
    queued.refresh_from_db()
    assert queued.status == "pending" and queued.next_try_at > before
    assert "timed out" in queued.last_reply.lower()

    smtp_server.faults.heal()
    QueuedEmail.objects.update(next_try_at=timezone.now())
    assert queued_emails_send() == 1
    (received,) = smtp_server.handler.parsed()
    assert received["To"] == "new@example.com"
    # Plain text and HTML, both with the link.
    parts = {part.get_content_type(): part for part in received.walk()}
    for kind in ("text/plain", "text/html"):
        assert "/accounts/confirm-email/" in parts[kind].get_payload(decode=True).decode()
    assert QueuedEmail.objects.get().status == "sent"
    assert queued_emails_send() == 0  # nothing is sent twice


def test_a_temporary_refusal_is_retried_later(smtp_server):
    smtp_server.faults.rcpt_replies["new@example.com"] = "451 4.7.1 Greylisted, come back later"
    mail.send_mail("Subject", "Body", "from@example.com", ["new@example.com"])
    before = timezone.now()
    assert queued_emails_send() == 0
    queued = QueuedEmail.objects.get()
    assert queued.status == "pending" and queued.tries == 1
    assert queued.last_reply.startswith("451")
    assert queued.next_try_at > before

    smtp_server.faults.heal()
    QueuedEmail.objects.update(next_try_at=timezone.now() - timedelta(seconds=1))
    assert queued_emails_send() == 1
    assert smtp_server.copies()["new@example.com"] == 1


def test_a_permanent_refusal_is_not_retried(smtp_server):
    smtp_server.faults.rcpt_replies["gone@example.com"] = "550 5.1.1 No such user"
    mail.send_mail("Subject", "Body", "from@example.com", ["gone@example.com"])
    assert queued_emails_send() == 0
    queued = QueuedEmail.objects.get()
    assert queued.status == "failed" and queued.last_reply.startswith("550")


def test_without_email_url_the_email_lands_in_the_outbox(settings):
    mail.send_mail("Привет", "Тело", "from@example.com", ["to@example.com", "cc@example.com"])
    assert queued_emails_send() == 2
    files = sorted(settings.EMAIL_OUTBOX_DIR.glob("*.eml"))
    assert len(files) == 2
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "Привет"
    assert not list(settings.EMAIL_OUTBOX_DIR.glob(".*.tmp"))


def test_sent_and_failed_account_emails_are_forgotten_after_the_keep_days(settings):
    settings.QUEUED_EMAIL_KEEP_DAYS = 7
    now = timezone.now()
    ages = {"sent": [8, 6], "failed": [8], "pending": [30]}
    for status, days in ages.items():
        for age in days:
            queued = QueuedEmail.objects.create(
                envelope_from="a@example.com", recipient=f"{status}{age}@example.com", data=b"x"
            )
            QueuedEmail.objects.filter(pk=queued.pk).update(
                status=status, created_at=now - timedelta(days=age)
            )

    assert queued_emails_forget(now=now) == 2
    assert sorted(QueuedEmail.objects.values_list("recipient", flat=True)) == [
        "pending30@example.com",  # still to be sent, however old
        "sent6@example.com",
    ]


def test_the_scheduler_beat_forgets_old_account_emails_once_an_hour(settings):
    old = QueuedEmail.objects.create(
        envelope_from="a@example.com", recipient="old@example.com", data=b"x", status="sent"
    )
    QueuedEmail.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))

    tick(source="test")
    assert not QueuedEmail.objects.exists()

    again = QueuedEmail.objects.create(
        envelope_from="a@example.com", recipient="again@example.com", data=b"x", status="sent"
    )
    QueuedEmail.objects.filter(pk=again.pk).update(created_at=timezone.now() - timedelta(days=30))
    tick(source="test")
    assert QueuedEmail.objects.exists()  # the hour is not over
