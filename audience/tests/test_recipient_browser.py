"""The recipient's unsubscribe page in a real browser: the sender's logo loads under our
CSP, unsubscribing shows every list unsubscribed, the language switch changes the page
and keeps its address, and the console stays quiet."""

import base64

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audience.models import Membership
from content.renderer import Renderer
from mailings.tests.factories import ClientFactory, MailingFactory
from senders.models import Brand
from senders.tests.factories import SenderFactory

from .signup import list_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOGO = "https://cdn.romashka.example/logo.png"
# The smallest PNG: one transparent pixel.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def test_a_recipient_unsubscribes_and_switches_the_language(page, live_server, browser_guard):
    sender = SenderFactory(
        name="Лавка «Ромашка»", postal_address="Лесная ул., 1", confirmed_at=timezone.now()
    )
    Brand.objects.create(owner=sender.owner, logo_url=LOGO)
    client = ClientFactory(owner=sender.owner)
    for name in ("Новости", "Акции"):
        Membership.objects.create(
            client=client, mailing_list=list_of(owner=sender.owner, name=name)
        )
    mailing = MailingFactory(owner=sender.owner, sender=sender, language="ru")
    path = (
        "/"
        + Renderer.for_mailing(mailing, attempt_id=1).unsubscribe_url(client.pk).split("/", 3)[3]
    )
    page.route(LOGO, lambda route: route.fulfill(body=PIXEL, content_type="image/png"))

    page.goto(path)
    expect(page.locator("#sender-logo")).to_be_visible()
    assert page.evaluate("document.getElementById('sender-logo').naturalWidth") == 1
    page.get_by_role("button", name="Отписаться").click()

    expect(page.locator("h1")).to_have_text("Вы отписались")
    expect(page.locator("[data-list][data-status=unsubscribed]")).to_have_count(2)
    expect(page.locator("[data-list][data-status=subscribed]")).to_have_count(0)

    page.locator("#language-switcher [data-lang=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("You are already unsubscribed")
    assert page.url.startswith(live_server.url + path)

    page.get_by_role("button", name="Subscribe again").click()
    expect(page.locator("h1")).to_have_text("You are subscribed again")
    expect(page.locator("[data-list][data-status=subscribed]")).to_have_count(2)
    page.locator("#language-switcher [data-lang=ru]").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    browser_guard.assert_clean()
