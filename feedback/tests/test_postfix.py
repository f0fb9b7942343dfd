"""The whole way round with real mail servers (#15): a mailing goes out through Postfix,
Postfix finds one address unknown and writes a DSN to the VERP return path, delivers it
into the bounce mailbox, fetch_bounces reads it from Dovecot over IMAP, the client is
suppressed, and the next run of the mailing skips it."""

import imaplib
import io
import time

import pytest
from django.core.management import call_command

from audience.models import Client
from feedback.models import FeedbackEvent
from mailings.lifecycle import enqueue_run
from mailings.models import Mailing
from mailings.tests.factories import daily_mailing_to, mailing_to
from sending.models import Attempt, Delivery
from sending.passes import run_pass

from .dovecot import PASSWORD, USER, Dovecot
from .postfix import BOUNCE_DOMAIN, UNKNOWN_SENDER_DOMAIN, Postfix

# A private Postfix instance starts and stops per module: the edit-test loop leaves it out.
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# mailing_to(2) writes to reader0@ and reader1@example.org: Postfix knows only reader0.
KNOWN, UNKNOWN = "reader0@example.org", "reader1@example.org"


@pytest.fixture(scope="module")
def mail_servers():
    dovecot = Dovecot().start()
    try:
        postfix = Postfix(dovecot, known=["reader0"]).start()
    except BaseException:
        dovecot.stop()
        raise
    yield postfix, dovecot
    postfix.stop()
    dovecot.stop()


@pytest.fixture
def postfix(mail_servers, settings):
    postfix, dovecot = mail_servers
    settings.EMAIL_URL = postfix.url
    # A fresh smtpd process answers each connection: more than the suite's half second.
    settings.SMTP_TIMEOUT = 10
    settings.BOUNCE_DOMAIN = BOUNCE_DOMAIN
    settings.BOUNCE_MAILBOX_URL = dovecot.url("imap")
    return postfix


def bounce_mailbox_count(dovecot: Dovecot) -> int:
    box = imaplib.IMAP4("127.0.0.1", dovecot.imap_port, timeout=10)
    try:
        box.login(USER, PASSWORD)
        return int(box.select("INBOX")[1][0])
    finally:
        box.logout()


def wait_for(condition, what: str, postfix: Postfix, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError(f"Timed out waiting for {what}. Postfix's log:\n{postfix.log()}")


def test_an_address_postfix_does_not_know_bounces_back_and_is_skipped_next_time(
    postfix, mail_servers
):
    dovecot = mail_servers[1]
    mailing = daily_mailing_to(2)
    run_pass()
    # Postfix took both: the unknown address is found out only at delivery.
    assert set(Delivery.objects.values_list("email", "status")) == {
        (KNOWN, "sent"),
        (UNKNOWN, "sent"),
    }
    assert not FeedbackEvent.objects.exists()
    wait_for(lambda: postfix.delivered("reader0"), "the mailing in reader0's Maildir", postfix)
    wait_for(lambda: bounce_mailbox_count(dovecot), "Postfix's DSN in the bounce mailbox", postfix)

    out = io.StringIO()
    call_command("fetch_bounces", stdout=out)
    assert "1 messages" in out.getvalue()
    assert bounce_mailbox_count(dovecot) == 0
    bounced = Client.objects.get(email=UNKNOWN)
    assert bounced.status == Client.Status.BOUNCED
    assert Client.objects.get(email=KNOWN).status == Client.Status.ACTIVE
    event = FeedbackEvent.objects.get()
    assert (event.kind, event.source, event.status_code) == ("hard", "dsn", "5.1.1")
    assert event.delivery == Delivery.objects.get(email=UNKNOWN)
    assert "unknown user" in event.server_response
    assert Attempt.objects.get().hard_bounce_count == 1

    enqueue_run(mailing=Mailing.objects.get(pk=mailing.pk))
    run_pass()
    latest = Attempt.objects.order_by("-pk").first()
    assert list(latest.deliveries.values_list("email", "status")) == [(KNOWN, "sent")]
    wait_for(lambda: len(postfix.delivered("reader0")) == 2, "the second copy", postfix)
    # Postfix saw the bounced address once: the second run did not offer it again.
    assert postfix.log().count(f"to=<{UNKNOWN}>") == 1
    assert bounce_mailbox_count(dovecot) == 0


def test_postfix_refusing_our_return_path_bounces_nobody(postfix, settings):
    """Postfix checks the sender only when the recipient comes (smtpd_delay_reject): the
    550 arrives at RCPT TO, but its status 5.1.8 names our domain, not the address."""
    settings.BOUNCE_DOMAIN = UNKNOWN_SENDER_DOMAIN
    mailing_to(1)
    run_pass()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.server_response.startswith("550 5.1.8 ")
    assert "Sender address rejected" in delivery.server_response
    assert "reject: RCPT from localhost[127.0.0.1]: 550 5.1.8 <bounce+" in postfix.log()
    assert not FeedbackEvent.objects.exists()
    assert Client.objects.get().status == Client.Status.ACTIVE
