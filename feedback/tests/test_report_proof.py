"""A bounce or a complaint changes a client only when it proves we sent the email it is
about: our VERP token, or our Message-ID with its HMAC. The forged reports of issue 23
(a sequential Message-ID, no token, sent to fbl@BOUNCE_DOMAIN) change nothing, emit no
webhook and do not count toward the run's pause; genuine ones still work everywhere."""

import io
import json
import sys

import pytest
from django.core.management import call_command

from audience.models import Client
from feedback.models import FeedbackEvent
from mailings.tests.factories import DeliveryFactory
from senders.envelope import delivery_of_message_id, message_id
from sending.models import Attempt
from webhooks.models import Endpoint, EventType, WebhookMessage

from .reports import arf, dsn, sent, verp
from .test_protection import in_progress_run_with
from .test_webhooks import KEY, mailgun_event, post

pytestmark = pytest.mark.django_db

FBL = "fbl@bounces.example.com"


@pytest.fixture(autouse=True)
def _bounce_domain(settings):
    settings.BOUNCE_DOMAIN = "bounces.example.com"


@pytest.fixture
def victim():
    """A delivery of a run under way, 300 handed over: one complaint (0.33%) pauses it.
    Its owner listens to every webhook event."""
    attempt = in_progress_run_with(300)
    Endpoint.objects.create(
        owner=attempt.mailing.owner,
        url="https://hooks.example.com/rassylka",
        event_types=list(EventType.values),
    )
    return attempt.deliveries.order_by("pk").first()


def forged_arf(delivery) -> bytes:
    """The ten lines that marked another tenant's client complained."""
    return (
        "From: abuse@attacker.example\r\n"
        f"To: {FBL}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: message/feedback-report\r\n\r\n"
        f"Feedback-Type: abuse\r\nOriginal-Rcpt-To: <{delivery.email}>\r\n\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: <{delivery.pk}.{delivery.attempt_id}@any-domain.example>\r\n\r\n"
        "--b--\r\n"
    ).encode()


def forged_dsn(delivery) -> bytes:
    mailing = delivery.attempt.mailing
    return dsn(
        to=FBL,
        recipient=delivery.email,
        message_id=f"<{delivery.pk}.{delivery.attempt_id}@any-domain.example>",
        feedback_id=f"{mailing.pk}:{mailing.owner_id}:rassylka",
    )


def altered_signature(delivery) -> str:
    genuine = sent(delivery)["Message-ID"]
    local, _at, domain = genuine.partition("@")
    flipped = "A" if local[-1] != "A" else "B"
    return f"{local[:-1]}{flipped}@{domain}"


def signature_of_another(delivery) -> str:
    """Another delivery's genuine signature under the victim's ids."""
    other = DeliveryFactory(attempt=delivery.attempt)
    signature = sent(other)["Message-ID"].partition("@")[0].rpartition(".")[2]
    return f"<{delivery.pk}.{delivery.attempt_id}.{signature}@example.com>"


FORGED = {
    "the ARF of the issue": forged_arf,
    "the DSN of the issue": forged_dsn,
    "an ARF with an altered HMAC": lambda d: arf(
        return_path="news@example.com", recipient=d.email, message_id=altered_signature(d)
    ),
    "a DSN with an altered HMAC": lambda d: dsn(
        to=FBL, recipient=d.email, message_id=altered_signature(d)
    ),
    "a DSN with another delivery's HMAC": lambda d: dsn(
        to=FBL, recipient=d.email, message_id=signature_of_another(d)
    ),
}


def run_command(data: bytes, monkeypatch, *args) -> str:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    out = io.StringIO()
    call_command("process_bounce", *args, stdout=out)
    return out.getvalue()


def assert_nothing_changed(delivery) -> None:
    assert Client.objects.get(pk=delivery.client_id).status == Client.Status.ACTIVE
    assert not FeedbackEvent.objects.exists()
    assert not WebhookMessage.objects.exists()
    attempt = Attempt.objects.get(pk=delivery.attempt_id)
    assert (attempt.hard_bounce_count, attempt.complaint_count) == (0, 0)
    assert attempt.paused_at is None and attempt.pause_reason == ""


@pytest.mark.parametrize("case", FORGED, ids=list(FORGED))
def test_a_report_without_proof_changes_nothing_and_says_why(victim, monkeypatch, caplog, case):
    output = run_command(FORGED[case](victim), monkeypatch, "--recipient", FBL)
    assert output.startswith("ignored: ")
    assert "is not one we signed (no proof)" in output
    assert "Report ignored" in caplog.text
    assert_nothing_changed(victim)


def test_a_genuine_complaint_without_a_token_counts_pauses_and_tells(victim, monkeypatch):
    report = arf(
        return_path="news@example.com",
        recipient=victim.email,
        message_id=sent(victim)["Message-ID"],
    )
    output = run_command(report, monkeypatch, "--recipient", FBL)
    assert output.startswith("recorded: complaint")
    assert Client.objects.get(pk=victim.client_id).status == Client.Status.COMPLAINED
    attempt = Attempt.objects.get(pk=victim.attempt_id)
    assert attempt.complaint_count == 1
    assert attempt.paused_at is not None
    assert WebhookMessage.objects.get().event_type == EventType.CLIENT_COMPLAINED


def test_a_genuine_bounce_without_a_token_counts_and_tells(victim, monkeypatch):
    email = sent(victim)
    report = dsn(
        to=FBL,
        recipient=victim.email,
        message_id=email["Message-ID"],
        feedback_id=email["Feedback-ID"],
    )
    assert run_command(report, monkeypatch).startswith("recorded: hard bounce")
    assert Client.objects.get(pk=victim.client_id).status == Client.Status.BOUNCED
    assert Attempt.objects.get(pk=victim.attempt_id).hard_bounce_count == 1
    assert WebhookMessage.objects.get().event_type == EventType.CLIENT_BOUNCED


def test_the_verp_token_alone_is_proof_enough(victim, monkeypatch):
    run_command(dsn(to=verp(victim), recipient=victim.email), monkeypatch)
    assert Client.objects.get(pk=victim.client_id).status == Client.Status.BOUNCED


def test_our_message_id_is_signed_and_not_sequential():
    first = message_id(delivery_id=41, attempt_id=7, domain="shop.example")
    second = message_id(delivery_id=42, attempt_id=7, domain="shop.example")
    assert first.startswith("<41.7.") and first.endswith("@shop.example>")
    # The signature of one says nothing of the next.
    assert first.partition("@")[0][6:] != second.partition("@")[0][6:]
    assert delivery_of_message_id(first) == (41, 7)
    assert delivery_of_message_id("<41.7@shop.example>") is None
    assert delivery_of_message_id(second.replace("<42.", "<41.")) is None


def test_the_signature_survives_a_key_rotation(settings):
    old = message_id(delivery_id=41, attempt_id=7, domain="shop.example")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-" + "x" * 50
    assert delivery_of_message_id(old) == (41, 7)
    settings.SECRET_KEY_FALLBACKS = []
    assert delivery_of_message_id(old) is None


@pytest.fixture
def mailgun(settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": KEY}


@pytest.mark.parametrize(
    "forged_id",
    [
        lambda d: f"{d.pk}.{d.attempt_id}@any-domain.example",
        lambda d: altered_signature(d).strip("<>"),
    ],
    ids=["sequential", "altered HMAC"],
)
def test_a_provider_event_without_our_signed_message_id_changes_nothing(
    client, mailgun, victim, forged_id
):
    for event in ("failed", "complained"):
        body = json.loads(mailgun_event(victim, event=event))
        body["event-data"]["message"]["headers"]["message-id"] = forged_id(victim)
        assert post(client, json.dumps(body)).status_code == 200
    assert_nothing_changed(victim)


def test_a_provider_complaint_with_our_message_id_counts_and_tells(client, mailgun, victim):
    assert post(client, mailgun_event(victim, event="complained")).status_code == 200
    assert Client.objects.get(pk=victim.client_id).status == Client.Status.COMPLAINED
    assert Attempt.objects.get(pk=victim.attempt_id).complaint_count == 1
    assert WebhookMessage.objects.get().event_type == EventType.CLIENT_COMPLAINED
