"""The preference centre on /unsubscribe/<token>/, reached from every email: the sender's
lists the recipient is on, leave one, ask to join one again (by email confirmation)."""

import pytest
from django.core import mail
from django.test import Client as HttpClient

from audience.models import Client, ConsentRecord, Membership
from conftest import PageVisitor
from content.renderer import Renderer
from mailings.tests.factories import ClientFactory, MailingFactory

from .signup import confirmation_path, list_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser():
    return PageVisitor(HTTP_USER_AGENT="Thunderbird")


@pytest.fixture
def member():
    """A client on two lists of its owner, reading an English mailing."""
    news = list_of(name="News")
    offers = list_of(owner=news.owner, name="Offers")
    client = ClientFactory(owner=news.owner, email="anna@example.org")
    for mailing_list in (news, offers):
        Membership.objects.create(client=client, mailing_list=mailing_list)
    mailing = MailingFactory(owner=news.owner, language="en")
    path = (
        "/"
        + Renderer.for_mailing(mailing, attempt_id=1).unsubscribe_url(client.pk).split("/", 3)[3]
    )
    return client, news, offers, path


def test_the_page_lists_the_senders_lists_of_the_recipient_in_the_mailings_language(
    browser, member
):
    client, news, offers, path = member
    list_of(owner=client.owner, name="Not mine")

    page = browser.get(path, HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert "Your lists of" in page
    assert f'data-list="{news.pk}" data-status="subscribed"' in page
    assert f'data-list="{offers.pk}" data-status="subscribed"' in page
    assert "Not mine" not in page


def test_leaving_one_list_keeps_the_other_and_the_client_active(browser, member):
    client, news, offers, path = member

    response = browser.post(path, {"action": "leave", "list": str(news.pk)}, follow=True)

    assert response.status_code == 200
    assert 'data-notice="left"' in response.content.decode()
    left = Membership.objects.get(mailing_list=news)
    assert left.status == Membership.Status.UNSUBSCRIBED
    assert left.left_at is not None
    assert Membership.objects.get(mailing_list=offers).status == Membership.Status.SUBSCRIBED
    client.refresh_from_db()
    assert client.status == Client.Status.ACTIVE


def test_leaving_everything_is_the_unsubscribe_it_always_was(browser, member):
    client, _news, _offers, path = member
    browser.post(path)
    client.refresh_from_db()
    assert client.status == Client.Status.UNSUBSCRIBED


def test_joining_again_takes_a_confirmation_email(browser, member):
    client, news, _offers, path = member
    browser.post(path, {"action": "leave", "list": str(news.pk)})

    response = browser.post(path, {"action": "rejoin", "list": str(news.pk)}, follow=True)

    assert 'data-notice="confirmation_sent"' in response.content.decode()
    membership = Membership.objects.get(mailing_list=news)
    assert membership.status == Membership.Status.PENDING
    consent = ConsentRecord.objects.get()
    assert (consent.mailing_list, consent.user_agent) == (news, "Thunderbird")
    (email,) = mail.outbox
    assert email.to == ["anna@example.org"]

    again = browser.post(path, {"action": "rejoin", "list": str(news.pk)}, follow=True)
    assert 'data-notice="confirmation_pending"' in again.content.decode()
    assert len(mail.outbox) == 1

    HttpClient().post(confirmation_path(email.body))
    membership.refresh_from_db()
    assert membership.status == Membership.Status.SUBSCRIBED


@pytest.mark.parametrize("value", ["", "abc", "-1", "99999999", "１", "9" * 40])
def test_a_list_that_is_not_the_recipients_is_refused(browser, member, value):
    client, _news, _offers, path = member
    foreign = list_of(name="Someone else's")
    for list_id in (value, str(foreign.pk)):
        for action in ("leave", "rejoin"):
            response = browser.post(path, {"action": action, "list": list_id})
            assert response.status_code == 404
    assert Membership.objects.filter(status="subscribed").count() == 2
    assert mail.outbox == []
