"""process_bounce: DSNs and ARF reports matched to their delivery by the VERP token (or
our signed Message-ID), and every kind of bad input ignored with a reason, changing
nothing."""

import io
import sys

import pytest
from django.core.management import call_command
from django.core.signing import Signer

from audience.models import Client
from feedback.intake import report_process
from feedback.models import FeedbackEvent
from mailings.tests.factories import DeliveryFactory
from senders.envelope import message_id

from .reports import arf, dsn, sent, verp

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _bounce_domain(settings):
    settings.BOUNCE_DOMAIN = "bounces.example.com"


@pytest.fixture
def delivery():
    return DeliveryFactory(email="reader@example.org", client__email="reader@example.org")


def run_command(data: bytes, monkeypatch, *args) -> str:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    out = io.StringIO()
    call_command("process_bounce", *args, stdout=out)
    return out.getvalue()


def status_of(delivery) -> str:
    return Client.objects.get(pk=delivery.client_id).status


def test_a_5xx_dsn_to_our_return_path_is_a_hard_bounce(delivery, monkeypatch):
    output = run_command(dsn(to=verp(delivery), recipient="reader@example.org"), monkeypatch)
    assert output.startswith("recorded: hard bounce")
    assert status_of(delivery) == Client.Status.BOUNCED
    event = FeedbackEvent.objects.get()
    assert (event.kind, event.source, event.status_code, event.delivery) == (
        "hard",
        "dsn",
        "5.1.1",
        delivery,
    )
    assert "Recipient address rejected" in event.server_response


def test_the_mta_can_pass_the_envelope_recipient(delivery, monkeypatch):
    report = dsn(to="postmaster@bounces.example.com", recipient="reader@example.org")
    run_command(report, monkeypatch, "--recipient", verp(delivery))
    assert status_of(delivery) == Client.Status.BOUNCED


def test_a_4xx_dsn_is_a_soft_bounce(delivery):
    report = dsn(to=verp(delivery), recipient="reader@example.org", status="4.2.2")
    assert report_process(report).recorded == 1
    assert FeedbackEvent.objects.get().kind == "soft"
    assert status_of(delivery) == Client.Status.ACTIVE  # one soft bounce is not enough


def test_a_delay_notice_is_no_bounce(delivery):
    report = dsn(to=verp(delivery), recipient="reader@example.org", status="4.4.1")
    report = report.replace(b"Action: failed", b"Action: delayed")
    outcome = report_process(report)
    assert outcome.reason == "ignored: it only says a delivery is delayed"
    assert not FeedbackEvent.objects.exists()


def test_without_a_token_our_message_id_and_feedback_id_match(delivery):
    email = sent(delivery)
    report = dsn(
        to="news@example.com",
        recipient="reader@example.org",
        message_id=email["Message-ID"],
        feedback_id=email["Feedback-ID"],
    )
    assert report_process(report).recorded == 1
    assert status_of(delivery) == Client.Status.BOUNCED


def test_an_arf_report_makes_the_client_complained_and_unsubscribed(delivery, monkeypatch):
    output = run_command(
        arf(return_path=verp(delivery), recipient="reader@example.org"), monkeypatch
    )
    assert output.startswith("recorded: complaint")
    client = Client.objects.get(pk=delivery.client_id)
    assert client.status == Client.Status.COMPLAINED
    assert client.unsubscribed_at is not None
    assert FeedbackEvent.objects.get().kind == "complaint"


def test_a_not_spam_report_is_no_complaint(delivery):
    report = arf(
        return_path=verp(delivery), recipient="reader@example.org", feedback_type="not-spam"
    )
    assert "not a complaint" in report_process(report).reason
    assert status_of(delivery) == Client.Status.ACTIVE


def forged_token(delivery) -> str:
    token = Signer(salt="someone else", sep=".").sign(str(delivery.pk))
    return f"bounce+{token}@bounces.example.com"


def altered_token(delivery) -> str:
    other = DeliveryFactory()
    genuine = verp(other)
    return genuine.replace(f"+{other.pk}.", f"+{delivery.pk}.")


BAD_INPUT = {
    "forged token": lambda d: dsn(to=forged_token(d), recipient="reader@example.org"),
    "altered token": lambda d: dsn(to=altered_token(d), recipient="reader@example.org"),
    "another client's address": lambda d: dsn(to=verp(d), recipient="other@example.org"),
    "another owner in Feedback-ID": lambda d: dsn(
        to="news@example.com",
        recipient="reader@example.org",
        message_id=sent(d)["Message-ID"],
        feedback_id=f"{d.attempt.mailing_id}:999999:rassylka",
    ),
    "a Message-ID of no delivery": lambda d: dsn(
        to="news@example.com",
        recipient="reader@example.org",
        message_id=message_id(delivery_id=99999, attempt_id=1, domain="example.com"),
    ),
    "a complaint about another address": lambda d: arf(
        return_path=verp(d), recipient="other@example.org"
    ),
    "not a report": lambda d: (
        f"From: a@example.net\r\nTo: {verp(d)}\r\nSubject: Thanks!\r\n\r\nGreat news.\r\n"
    ).encode(),
    "10 MB": lambda d: dsn(to=verp(d), recipient="reader@example.org") + b"x" * 10_000_000,
    "malformed MIME": lambda d: (
        f"To: {verp(d)}\r\nContent-Type: multipart/report; report-type=delivery-status; "
        'boundary="nope"\r\n\r\n--nope\r\nContent-Type: message/delivery-status\r\n\r\n'
        "Final-Recipient: rfc822\r\nAction: failed\r\nStatus: 5.\x00\xff\r\n--nope"
    ).encode("latin-1"),
    "binary garbage": lambda d: bytes(range(256)) * 40,
    "empty": lambda d: b"",
}


WHY = {
    "forged token": "forged or altered token",
    "altered token": "forged or altered token",
    "another client's address": "to which delivery",
    "another owner in Feedback-ID": "Feedback-ID names another",
    "a Message-ID of no delivery": "names no delivery",
    "a complaint about another address": "it is about other@example.org",
    "not a report": "not a bounce",
    "10 MB": "larger than BOUNCE_MAX_BYTES",
    "malformed MIME": "no failed recipient",
    "binary garbage": "could not be read",
    "empty": "it is empty",
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_input_changes_nothing_and_says_why(delivery, monkeypatch, caplog, case):
    output = run_command(BAD_INPUT[case](delivery), monkeypatch)
    assert output.startswith("ignored: ")
    assert WHY[case] in output
    assert "Report ignored" in caplog.text
    assert not FeedbackEvent.objects.exists()
    assert not Client.objects.exclude(status=Client.Status.ACTIVE).exists()


def test_a_bad_report_does_not_stop_the_next_one(delivery):
    assert report_process(BAD_INPUT["malformed MIME"](delivery)).recorded == 0
    assert report_process(dsn(to=verp(delivery), recipient="reader@example.org")).recorded == 1
