"""The whole way in, in a real browser with a real SMTP server: a visitor subscribes on a
list's public page, follows the link of the confirmation email, and then receives a
mailing; and a list's proof of work solved by the browser itself under our CSP."""

import email
import re
from email import policy

import pytest
from playwright.sync_api import expect

from audience.models import Client, Membership
from mailings.lifecycle import mailing_schedule
from mailings.tests.factories import DueMailingFactory, MessageFactory
from sending.mail_queue import queued_emails_send
from sending.passes import run_pass
from sending.tests.smtpd import SmtpServer

from .signup import list_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def smtp_server(settings, live_server, tmp_path):
    server = SmtpServer().start()
    settings.EMAIL_URL = server.url
    settings.EMAIL_BACKEND = "sending.mail_queue.QueuedEmailBackend"
    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"
    settings.SITE_URL = live_server.url
    settings.SEND_RATE = 0
    yield server
    server.stop()


def received(server, recipient: str) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(data, policy=policy.default)
        for to, data in server.handler.messages
        if to == recipient
    ]


def test_a_visitor_subscribes_confirms_and_receives_a_mailing(page, smtp_server, live_server):
    mailing_list = list_of(language="ru", name="Новости лавки")

    page.goto(f"/subscribe/{mailing_list.token}/")
    assert page.locator("html").get_attribute("lang") == "ru"
    page.fill("input[name=email]", "reader@example.org")
    page.fill("input[name=full_name]", "Читатель")
    page.locator("#subscribe-form button[type=submit]").click()
    expect(page.locator("#subscribe-outcome")).to_have_attribute("data-outcome", "received")
    assert Client.objects.get().status == Client.Status.PENDING

    assert queued_emails_send() == 1
    (confirmation,) = received(smtp_server, "reader@example.org")
    # (strip: Python's compat32 folds a long encoded subject onto the next line.)
    assert str(confirmation["Subject"]).strip() == "Подтвердите подписку на «Новости лавки»"
    body = confirmation.get_body(("plain",)).get_content()
    link = re.search(rf"{re.escape(live_server.url)}/subscribe/\S+/confirm/\S+/", body).group(0)

    page.goto(link)
    page.locator("#confirm-page button[type=submit]").click()
    expect(page.locator("#confirm-page")).to_have_attribute("data-state", "done")
    client = Client.objects.get()
    assert client.status == Client.Status.ACTIVE
    assert Membership.objects.get().status == Membership.Status.SUBSCRIBED

    mailing = DueMailingFactory(
        owner=mailing_list.owner,
        message=MessageFactory(owner=mailing_list.owner, subject="Весенние новости"),
    )
    mailing.clients.set([client])
    mailing_schedule(mailing=mailing)
    run_pass()
    subjects = [str(message["Subject"]).strip() for message in received(smtp_server, client.email)]
    assert subjects == ["Подтвердите подписку на «Новости лавки»", "Весенние новости"]


def test_the_browser_solves_the_lists_proof_of_work_under_our_csp(page, smtp_server, settings):
    settings.SUBSCRIBE_CAPTCHA_COST = 1000
    mailing_list = list_of(language="en", captcha=True)
    console = []
    page.on("console", lambda message: console.append(message.text))

    page.goto(f"/subscribe/{mailing_list.token}/")
    widget = page.locator("altcha-widget .altcha")
    expect(widget).to_have_attribute("data-state", "unverified")  # its script has run
    # Focusing the form starts the proof of work by itself (auto="onfocus"); a click on
    # "I'm not a robot" while it runs would race it, so the test waits instead.
    page.fill("input[name=email]", "robot-free@example.org")
    expect(widget).to_have_attribute("data-state", "verified", timeout=30_000)
    page.locator("#subscribe-form button[type=submit]").click()

    expect(page.locator("#subscribe-outcome")).to_have_attribute("data-outcome", "received")
    assert Client.objects.get().email == "robot-free@example.org"
    assert [text for text in console if "Content Security Policy" in text] == []
