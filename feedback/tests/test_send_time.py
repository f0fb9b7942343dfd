"""A recipient the SMTP server refuses while we send becomes a bounce: a 5xx at once
(hard), a 4xx that outlasts every try (soft, suppressing after BOUNCE_SOFT_LIMIT within
the window), and the next run skips a suppressed client."""

import datetime as dt

import pytest
from django.utils import timezone

from audience.models import Client
from feedback.models import FeedbackEvent
from feedback.services import feedback_record
from mailings.lifecycle import enqueue_run
from mailings.models import Mailing
from mailings.tests.factories import ClientFactory, daily_mailing_to, mailing_to
from sending.models import Attempt, Delivery
from sending.passes import run_pass

pytestmark = pytest.mark.django_db


def test_a_550_for_a_recipient_is_a_hard_bounce_and_the_next_run_skips_it(smtp_server):
    mailing = daily_mailing_to(3)
    smtp_server.faults.rcpt_replies = {"reader1@example.org": "550 5.1.1 No such user here"}
    run_pass()
    client = Client.objects.get(email="reader1@example.org")
    assert client.status == Client.Status.BOUNCED
    event = FeedbackEvent.objects.get()
    assert (event.kind, event.source, event.status_code) == ("hard", "smtp", "5.1.1")
    assert event.server_response == "550 5.1.1 No such user here"
    assert event.delivery == Delivery.objects.get(email="reader1@example.org")
    assert event.owner == mailing.owner
    others = Client.objects.exclude(pk=client.pk)
    assert set(others.values_list("status", flat=True)) == {"active"}

    smtp_server.faults.heal()
    enqueue_run(mailing=Mailing.objects.get(pk=mailing.pk))
    run_pass()
    latest = Attempt.objects.order_by("-pk").first()
    assert set(latest.deliveries.values_list("email", flat=True)) == {
        "reader0@example.org",
        "reader2@example.org",
    }
    assert smtp_server.copies()["reader1@example.org"] == 0


def test_a_550_after_the_content_is_a_hard_bounce_too(smtp_server):
    mailing_to(2)
    smtp_server.faults.data_replies = {"reader0@example.org": "554 5.7.1 Rejected as spam"}
    run_pass()
    assert Client.objects.get(email="reader0@example.org").status == Client.Status.BOUNCED


@pytest.mark.parametrize("pipelining", [False, True])
def test_a_550_to_mail_from_is_the_senders_problem_and_bounces_nobody(smtp_server, pipelining):
    """The server refused our return path, not the recipient: the message failed, but
    the address is as good as before."""
    smtp_server.faults.pipelining = pipelining
    smtp_server.faults.mail_reply = "553 5.7.1 Sender address rejected: not owned by user"
    daily_mailing_to(2)
    run_pass()
    deliveries = Delivery.objects.order_by("email")
    assert [d.status for d in deliveries] == ["failed", "failed"]
    assert deliveries[0].server_response == "553 5.7.1 Sender address rejected: not owned by user"
    assert not FeedbackEvent.objects.exists()
    assert set(Client.objects.values_list("status", flat=True)) == {"active"}
    attempt = Attempt.objects.get()
    assert (attempt.hard_bounce_count, attempt.soft_bounce_count) == (0, 0)
    assert smtp_server.copies() == {}

    # The same server refusing a recipient at RCPT TO still bounces that one.
    smtp_server.faults.heal()
    smtp_server.faults.rcpt_replies = {"reader1@example.org": "550 5.1.1 No such user here"}
    enqueue_run(mailing=Mailing.objects.get())
    run_pass()
    assert Client.objects.get(email="reader1@example.org").status == Client.Status.BOUNCED
    assert Client.objects.get(email="reader0@example.org").status == Client.Status.ACTIVE


def test_a_refusal_at_rcpt_to_that_names_the_sender_bounces_nobody(smtp_server):
    """X.1.8 is "bad sender's system address" (RFC 3463), whichever step it answers."""
    smtp_server.faults.rcpt_replies = {
        "reader0@example.org": "553 5.1.8 Sender address rejected: Domain not found"
    }
    mailing_to(1)
    run_pass()
    assert Delivery.objects.get().status == Delivery.Status.FAILED
    assert not FeedbackEvent.objects.exists()
    assert Client.objects.get().status == Client.Status.ACTIVE


def test_a_451_to_mail_from_that_outlasts_its_tries_is_no_soft_bounce(smtp_server, settings):
    settings.SEND_MAX_TRIES = 2
    settings.SEND_RETRY_BACKOFF = 0
    smtp_server.faults.mail_reply = "451 4.3.0 Sender domain lookup failed, try later"
    mailing_to(1)
    run_pass()
    run_pass()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.tries) == ("failed", 2)
    assert not FeedbackEvent.objects.exists()


def test_a_451_that_outlasts_its_tries_is_one_soft_bounce_not_a_suppression(smtp_server, settings):
    settings.SEND_MAX_TRIES = 2
    settings.SEND_RETRY_BACKOFF = 0
    mailing_to(2)
    smtp_server.faults.rcpt_replies = {"reader0@example.org": "451 4.3.0 Try later"}
    run_pass()
    run_pass()
    assert Delivery.objects.get(email="reader0@example.org").tries == 2
    event = FeedbackEvent.objects.get()  # one bounce for the whole series of tries
    assert (event.kind, event.status_code, event.server_response) == (
        "soft",
        "4.3.0",
        "451 4.3.0 Try later",
    )
    assert Client.objects.get(email="reader0@example.org").status == Client.Status.ACTIVE


def test_a_server_that_stops_answering_bounces_nobody(smtp_server, settings):
    settings.SEND_MAX_TRIES = 1
    mailing_to(2)
    smtp_server.faults.drop_mid_data = {"reader0@example.org"}
    run_pass()
    assert not FeedbackEvent.objects.exists()
    assert not Client.objects.exclude(status=Client.Status.ACTIVE).exists()


def soft(client, *, days_ago: float) -> None:
    feedback_record(
        client=client,
        kind=FeedbackEvent.Kind.SOFT,
        source=FeedbackEvent.Source.SMTP,
        server_response="452 4.2.2 Mailbox full",
        now=timezone.now() - dt.timedelta(days=days_ago),
    )


def test_soft_bounces_suppress_at_the_limit_within_the_window(settings):
    settings.BOUNCE_SOFT_LIMIT, settings.BOUNCE_SOFT_WINDOW_DAYS = 3, 14
    client = ClientFactory()
    soft(client, days_ago=10)
    soft(client, days_ago=5)
    client.refresh_from_db()
    assert client.status == Client.Status.ACTIVE
    soft(client, days_ago=0)
    client.refresh_from_db()
    assert client.status == Client.Status.BOUNCED


def test_soft_bounces_older_than_the_window_no_longer_count(settings):
    settings.BOUNCE_SOFT_LIMIT, settings.BOUNCE_SOFT_WINDOW_DAYS = 3, 14
    client = ClientFactory()
    soft(client, days_ago=30)
    soft(client, days_ago=15)
    soft(client, days_ago=1)
    soft(client, days_ago=0)
    client.refresh_from_db()
    assert client.status == Client.Status.ACTIVE


def test_a_bounce_leaves_an_unsubscribed_client_unsubscribed_and_a_complaint_wins():
    client = ClientFactory(unsubscribed_at=timezone.now())
    feedback_record(client=client, kind="hard", source="dsn")
    client.refresh_from_db()
    assert client.status == Client.Status.UNSUBSCRIBED
    feedback_record(client=client, kind="complaint", source="arf")
    client.refresh_from_db()
    assert client.status == Client.Status.COMPLAINED
    assert client.unsubscribed_at is not None


def test_a_451_with_tries_left_is_no_bounce_yet(smtp_server, settings):
    settings.SEND_MAX_TRIES = 3
    settings.SEND_RETRY_BACKOFF = 60
    mailing_to(1)
    smtp_server.faults.rcpt_replies = {"reader0@example.org": "451 4.3.0 Try later"}
    run_pass()
    assert Delivery.objects.get().status == Delivery.Status.PENDING
    assert not FeedbackEvent.objects.exists()
