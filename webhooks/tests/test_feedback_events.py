"""The events without a column to poll: a delivery the server refused, a client
suppressed by a bounce or a complaint, a subscriber's confirmation. Their services send
signals; the messages are recorded in the same transaction and posted, signed, on a
pass to a real HTTP server."""

import pytest
from django.db import transaction
from standardwebhooks import Webhook

from accounts.tests.factories import UserFactory
from audience.models import Client
from audience.signals import subscriber_confirmed
from feedback.models import FeedbackEvent
from feedback.services import feedback_record
from mailings.tests.factories import ClientFactory, mailing_to
from sending.models import Delivery
from sending.passes import run_pass
from webhooks.dispatch import webhooks_pass
from webhooks.models import Endpoint, EventType, WebhookMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    return Endpoint.objects.create(
        owner=UserFactory(), url=receiver.url, event_types=list(EventType.values)
    )


def verified(endpoint, receiver) -> list[dict]:
    """Every request checked by the standardwebhooks library (it raises on a bad or
    missing signature), as the receiving shop would."""
    payloads = []
    for request in receiver.requests:
        headers = {key.lower(): value for key, value in request["headers"].items()}
        payloads.append(Webhook(endpoint.secret).verify(request["body"], headers))
    return payloads


def of_type(payloads, event_type) -> list[dict]:
    return [payload["data"] for payload in payloads if payload["type"] == event_type]


def test_a_refused_recipient_is_a_failed_delivery_and_a_bounced_client(
    endpoint, receiver, smtp_server
):
    mailing_to(3, owner=endpoint.owner)
    smtp_server.faults.rcpt_replies = {"reader1@example.org": "550 5.1.1 No such user here"}
    run_pass()
    webhooks_pass()

    payloads = verified(endpoint, receiver)
    delivery = Delivery.objects.get(email="reader1@example.org")
    [failed] = of_type(payloads, "delivery.failed")
    assert failed["delivery_id"] == delivery.pk
    assert failed["attempt_id"] == delivery.attempt_id
    assert failed["email"] == "reader1@example.org"
    assert failed["server_response"] == "550 5.1.1 No such user here"
    [bounced] = of_type(payloads, "client.bounced")
    assert bounced["client_id"] == delivery.client_id
    assert (bounced["status"], bounced["kind"], bounced["status_code"]) == (
        "bounced",
        "hard",
        "5.1.1",
    )
    assert of_type(payloads, "run.finished")[0]["failed"] == 1
    # Sent once, however many passes follow.
    webhooks_pass()
    assert len(receiver.requests) == len(payloads)


def test_a_recipient_refused_until_the_tries_ran_out_is_a_failed_delivery(
    endpoint, receiver, smtp_server, settings
):
    settings.SEND_MAX_TRIES = 1
    mailing_to(2, owner=endpoint.owner)
    smtp_server.faults.rcpt_replies = {"reader0@example.org": "451 4.3.0 Try later"}
    run_pass()
    webhooks_pass()
    [failed] = of_type(verified(endpoint, receiver), "delivery.failed")
    assert failed["email"] == "reader0@example.org" and failed["tries"] == 1
    assert "451 4.3.0 Try later" in failed["server_response"]


def test_another_owners_failures_and_unwanted_events_are_not_sent(endpoint, receiver, smtp_server):
    endpoint.event_types = ["client.bounced"]
    endpoint.save()
    mailing_to(1, owner=UserFactory(), prefix="theirs")
    mailing_to(1, owner=endpoint.owner)
    smtp_server.faults.rcpt_replies = {
        "theirs0@example.org": "550 5.1.1 No such user here",
        "reader0@example.org": "550 5.1.1 No such user here",
    }
    run_pass()
    run_pass()
    webhooks_pass()
    payloads = verified(endpoint, receiver)
    assert [(p["type"], p["data"]["email"]) for p in payloads] == [
        ("client.bounced", "reader0@example.org")
    ]


def test_a_complaint_is_sent_as_client_complained(endpoint, receiver):
    client = ClientFactory(owner=endpoint.owner)
    feedback_record(
        client=client,
        kind=FeedbackEvent.Kind.COMPLAINT,
        source=FeedbackEvent.Source.ARF,
        status_code="abuse",
    )
    webhooks_pass()
    payloads = verified(endpoint, receiver)
    [complained] = of_type(payloads, "client.complained")
    assert (complained["client_id"], complained["status"], complained["kind"]) == (
        client.pk,
        "complained",
        "complaint",
    )
    assert of_type(payloads, "client.bounced") == []


def test_a_soft_bounce_that_suppresses_nobody_is_no_event(endpoint, receiver):
    client = ClientFactory(owner=endpoint.owner)
    feedback_record(client=client, kind=FeedbackEvent.Kind.SOFT, source=FeedbackEvent.Source.DSN)
    assert Client.objects.get(pk=client.pk).status == Client.Status.ACTIVE
    webhooks_pass()
    assert receiver.requests == []


def test_a_confirmed_subscriber_is_sent(endpoint, receiver):
    client = ClientFactory(owner=endpoint.owner, full_name="Анна")
    subscriber_confirmed.send(sender=test_a_confirmed_subscriber_is_sent, client=client)
    subscriber_confirmed.send(sender=test_a_confirmed_subscriber_is_sent, client=ClientFactory())
    webhooks_pass()
    [confirmed] = of_type(verified(endpoint, receiver), "subscriber.confirmed")
    assert (confirmed["client_id"], confirmed["email"], confirmed["full_name"]) == (
        client.pk,
        client.email,
        "Анна",
    )
    assert len(receiver.requests) == 1


def test_an_event_whose_transaction_rolled_back_never_happened(endpoint, receiver):
    client = ClientFactory(owner=endpoint.owner)
    with transaction.atomic():
        feedback_record(
            client=client, kind=FeedbackEvent.Kind.HARD, source=FeedbackEvent.Source.DSN
        )
        assert WebhookMessage.objects.filter(event_type="client.bounced").exists()
        transaction.set_rollback(True)
    webhooks_pass()
    assert receiver.requests == []
