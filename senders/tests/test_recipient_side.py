"""The recipient's side: the unsubscribe page in the mailing's language, naming its
sender, with a way back in."""

import pytest
from django.utils import timezone

from conftest import PageVisitor
from content.renderer import Renderer
from mailings.tests.factories import ClientFactory, MailingFactory

from .factories import SenderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser():
    return PageVisitor()


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


@pytest.fixture
def mailing():
    sender = SenderFactory(
        name="Shop Romashka", postal_address="1 Forest St, Moscow", confirmed_at=timezone.now()
    )
    return MailingFactory(owner=sender.owner, sender=sender, language="en")


def test_the_page_speaks_the_mailings_language_and_names_its_sender(browser, mailing):
    client = ClientFactory(owner=mailing.owner)
    url = Renderer.for_mailing(mailing, attempt_id=1).unsubscribe_url(client.pk)

    page = browser.get(path_of(url), HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert "Unsubscribe from the mailings of Shop Romashka?" in page
    assert "1 Forest St, Moscow" in page
    assert "Rassylka" not in page.split("<main", 1)[-1].split("</main>", 1)[0]


def test_a_russian_mailing_gets_a_russian_page(browser, mailing):
    mailing.language = "ru"
    mailing.save()
    client = ClientFactory(owner=mailing.owner)
    url = Renderer.for_mailing(mailing, attempt_id=1).unsubscribe_url(client.pk)

    page = browser.get(path_of(url), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Отписаться от рассылок Shop Romashka?" in page


def test_an_unsubscribed_recipient_can_subscribe_again_by_a_confirming_post(browser, mailing):
    client = ClientFactory(owner=mailing.owner)
    path = path_of(Renderer.for_mailing(mailing, attempt_id=1).unsubscribe_url(client.pk))
    browser.post(path)
    client.refresh_from_db()
    assert client.unsubscribed_at is not None

    page = browser.get(path).content.decode()
    assert 'name="action" value="resubscribe"' in page
    client.refresh_from_db()
    assert client.unsubscribed_at is not None  # opening the page changes nothing

    response = browser.post(path, {"action": "resubscribe"}, follow=True)

    assert "will receive the mailings of Shop Romashka again" in response.content.decode()
    client.refresh_from_db()
    assert client.unsubscribed_at is None


def test_a_token_naming_another_owners_mailing_shows_no_sender(browser, mailing):
    stranger = ClientFactory()
    url = Renderer.for_mailing(mailing, attempt_id=1).unsubscribe_url(stranger.pk)

    page = browser.get(path_of(url)).content.decode()

    assert "Shop Romashka" not in page
    assert stranger.email in page


def test_a_sender_name_with_braces_and_line_breaks_cannot_break_an_email(mailing):
    from content.renderer import Recipient

    sender = mailing.sender
    sender.name = "Shop {url} {0} }{\r\nBcc: victim@example.org"
    sender.postal_address = "Street {x}\r\n<b>1</b>"
    sender.save()

    email = Renderer.for_mailing(mailing, attempt_id=1).render(
        Recipient(delivery_id=1, client_id=2, email="a@example.org", full_name="A")
    )

    head, _sep, body = email.data.partition(b"\r\n\r\n")
    assert b"\r\nBcc:" not in head
    assert b"Shop {url} {0} }{ Bcc: victim@example.org" in head
    assert b"Street {x}" in body
    assert b"Street {x}<br>&lt;b&gt;1&lt;/b&gt;" in body  # escaped in the HTML part
