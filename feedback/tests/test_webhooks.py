"""/webhooks/esp/<esp>/: provider events through django-anymail, authenticated as anymail
documents (Mailgun's signature, basic auth for the others); bounces, complaints and
unsubscribes reach the client of the delivery whose signed Message-ID they carry."""

import base64
import hashlib
import hmac
import json
import time

import pytest

from audience.models import Client
from feedback.models import FeedbackEvent
from mailings.tests.factories import DeliveryFactory

from .reports import sent

pytestmark = pytest.mark.django_db

KEY = "key-mailgun-signing"


@pytest.fixture
def delivery(settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": KEY}
    return DeliveryFactory(email="reader@example.org", client__email="reader@example.org")


def mailgun_event(delivery, *, event="failed", severity="permanent", key=KEY, **extra) -> str:
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256)
    return json.dumps(
        {
            "signature": {
                "timestamp": timestamp,
                "token": token,
                "signature": signature.hexdigest(),
            },
            "event-data": {
                "event": event,
                "severity": severity,
                "timestamp": time.time(),
                "id": "ev1",
                "recipient": extra.get("recipient", delivery.email),
                "reason": "bounce",
                # Mailgun gives the Message-ID without its brackets.
                "message": {"headers": {"message-id": sent(delivery)["Message-ID"].strip("<>")}},
                "delivery-status": {
                    "code": 550,
                    "message": "5.1.1 The email account does not exist",
                },
            },
        }
    )


def post(client, body: str, esp: str = "mailgun", **headers):
    return client.post(f"/webhooks/esp/{esp}/", body, content_type="application/json", **headers)


def status_of(delivery) -> str:
    return Client.objects.get(pk=delivery.client_id).status


def test_a_signed_mailgun_bounce_bounces_the_client(client, delivery):
    response = post(client, mailgun_event(delivery))
    assert response.status_code == 200
    assert status_of(delivery) == Client.Status.BOUNCED
    event = FeedbackEvent.objects.get()
    assert (event.source, event.kind, event.delivery_id) == ("webhook", "hard", delivery.pk)
    assert "5.1.1 The email account does not exist" in event.server_response


def test_a_complaint_and_an_unsubscribe(client, delivery):
    post(client, mailgun_event(delivery, event="complained"))
    assert status_of(delivery) == Client.Status.COMPLAINED
    other = DeliveryFactory(email="second@example.org", client__email="second@example.org")
    post(client, mailgun_event(other, event="unsubscribed"))
    assert status_of(other) == Client.Status.UNSUBSCRIBED


def test_a_temporary_failure_changes_nothing(client, delivery):
    assert post(client, mailgun_event(delivery, severity="temporary")).status_code == 200
    assert not FeedbackEvent.objects.exists()


def test_a_wrong_signature_is_refused_and_changes_nothing(client, delivery):
    response = post(client, mailgun_event(delivery, key="not-the-key"))
    assert response.status_code == 400
    assert status_of(delivery) == Client.Status.ACTIVE


def test_an_event_about_another_address_changes_nothing(client, delivery):
    post(client, mailgun_event(delivery, recipient="other@example.org"))
    assert status_of(delivery) == Client.Status.ACTIVE


def brevo_bounce(delivery) -> str:
    return json.dumps(
        {
            "event": "hard_bounce",
            "email": delivery.email,
            "id": 1,
            "date": "2026-11-29 01:00:00",
            "ts": int(time.time()),
            "ts_event": int(time.time()),
            "message-id": sent(delivery)["Message-ID"],
            "subject": "News",
            "reason": "550 5.1.1 User unknown",
        }
    )


def test_basic_auth_providers_need_the_webhook_secret(client, delivery, settings):
    assert post(client, brevo_bounce(delivery), esp="brevo").status_code == 403
    settings.ANYMAIL = {"WEBHOOK_SECRET": "rassylka:s3cret"}
    wrong = "Basic " + base64.b64encode(b"rassylka:guess").decode()
    response = post(client, brevo_bounce(delivery), esp="brevo", HTTP_AUTHORIZATION=wrong)
    assert response.status_code == 400
    assert status_of(delivery) == Client.Status.ACTIVE
    right = "Basic " + base64.b64encode(b"rassylka:s3cret").decode()
    response = post(client, brevo_bounce(delivery), esp="brevo", HTTP_AUTHORIZATION=right)
    assert response.status_code == 200
    assert status_of(delivery) == Client.Status.BOUNCED


def test_an_unknown_or_unconfigured_provider_is_404(client, settings):
    settings.ANYMAIL = {}
    assert post(client, "{}", esp="nosuchesp").status_code == 404
    assert post(client, "{}", esp="mailgun").status_code == 404  # no signing key


def test_garbage_is_a_400_and_an_event_without_our_message_id_is_ignored(client, delivery):
    assert post(client, "not json at all").status_code == 400
    body = json.loads(mailgun_event(delivery))
    body["event-data"]["message"]["headers"]["message-id"] = "abc@mailgun.example"
    assert post(client, json.dumps(body)).status_code == 200
    assert status_of(delivery) == Client.Status.ACTIVE
