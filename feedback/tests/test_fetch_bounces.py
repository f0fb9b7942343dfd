"""fetch_bounces against a real Dovecot on loopback: reports appended over IMAP are
processed and deleted, over IMAP and POP3; a bad one among them stops nothing."""

import imaplib
import io
import time

import pytest
from django.core.management import call_command

from audience.models import Client
from feedback.mailbox import mailbox_fetch
from feedback.models import FeedbackEvent
from feedback.tasks import bounces_fetch
from mailings.tests.factories import DeliveryFactory

from .dovecot import PASSWORD, USER, Dovecot
from .reports import arf, dsn, sent, verp

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def dovecot():
    # One server for the module: each test leaves the mailbox empty.
    server = Dovecot().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _bounce_domain(settings):
    settings.BOUNCE_DOMAIN = "bounces.example.com"


def imap(server: Dovecot) -> imaplib.IMAP4:
    box = imaplib.IMAP4("127.0.0.1", server.imap_port, timeout=10)
    box.login(USER, PASSWORD)
    box.select("INBOX")
    return box


def deliver(server: Dovecot, *messages: bytes) -> None:
    box = imap(server)
    for message in messages:
        box.append("INBOX", None, None, message)
    box.logout()


def left_in_mailbox(server: Dovecot) -> int:
    box = imap(server)
    count = int(box.select("INBOX")[1][0])
    box.logout()
    return count


@pytest.fixture
def deliveries():
    return [
        DeliveryFactory(email=f"r{i}@example.org", client__email=f"r{i}@example.org")
        for i in range(3)
    ]


def reports_for(deliveries) -> list[bytes]:
    hard, complaint, soft = deliveries
    return [
        dsn(to=verp(hard), recipient="r0@example.org"),
        b"From: someone@example.net\r\nSubject: out of office\r\n\r\nBack Monday.\r\n",
        arf(return_path=verp(complaint), recipient="r1@example.org"),
        dsn(to=verp(soft), recipient="r2@example.org", status="4.2.2"),
    ]


def test_fetch_bounces_reads_the_imap_mailbox_and_empties_it(dovecot, deliveries, settings):
    deliver(dovecot, *reports_for(deliveries))
    settings.BOUNCE_MAILBOX_URL = dovecot.url("imap")
    out = io.StringIO()
    call_command("fetch_bounces", stdout=out)
    assert "4 messages" in out.getvalue()
    statuses = [Client.objects.get(pk=d.client_id).status for d in deliveries]
    assert statuses == ["bounced", "complained", "active"]
    assert sorted(FeedbackEvent.objects.values_list("kind", flat=True)) == [
        "complaint",
        "hard",
        "soft",
    ]
    assert left_in_mailbox(dovecot) == 0
    # Read again: nothing left, nothing recorded twice.
    assert bounces_fetch() == 0
    assert FeedbackEvent.objects.count() == 3


def test_fetch_bounces_reads_pop3_too(dovecot, deliveries):
    deliver(dovecot, *reports_for(deliveries))
    assert mailbox_fetch(dovecot.url("pop3")) == 4
    assert Client.objects.get(pk=deliveries[0].client_id).status == "bounced"
    assert left_in_mailbox(dovecot) == 0


def test_the_mailbox_takes_our_signed_message_id_and_ignores_a_guessed_one(dovecot, deliveries):
    genuine, victim, _ = deliveries
    deliver(
        dovecot,
        dsn(
            to="fbl@bounces.example.com",
            recipient="r0@example.org",
            message_id=sent(genuine)["Message-ID"],
        ),
        arf(
            return_path="news@example.com",
            recipient="r1@example.org",
            message_id=f"<{victim.pk}.{victim.attempt_id}@example.com>",
        ),
    )
    assert mailbox_fetch(dovecot.url("imap")) == 2
    assert Client.objects.get(pk=genuine.client_id).status == "bounced"
    assert Client.objects.get(pk=victim.client_id).status == "active"
    assert list(FeedbackEvent.objects.values_list("client_id", flat=True)) == [genuine.client_id]
    assert left_in_mailbox(dovecot) == 0


@pytest.mark.slow
def test_a_wrong_password_is_a_clear_error(dovecot, settings):
    settings.BOUNCE_MAILBOX_URL = dovecot.url("imap").replace(PASSWORD, "wrong")
    with pytest.raises(Exception, match="(?i)auth"):
        call_command("fetch_bounces")


@pytest.mark.slow
def test_a_mailbox_of_many_reports_is_read_in_bulk(dovecot):
    many = [
        DeliveryFactory(email=f"m{i}@example.org", client__email=f"m{i}@example.org")
        for i in range(30)
    ]
    deliver(dovecot, *[dsn(to=verp(d), recipient=d.email) for d in many])
    started = time.perf_counter()
    assert mailbox_fetch(dovecot.url("imap")) == 30
    elapsed = time.perf_counter() - started
    print(f"fetch_bounces: 30 reports over IMAP in {elapsed:.2f} s, {30 / elapsed:.0f}/s")
    assert Client.objects.filter(status="bounced").count() == 30
    assert left_in_mailbox(dovecot) == 0
