"""/unsubscribe/<token>/: GET asks, POST unsubscribes (only the one-click POST goes without
the page's CSRF token)."""

import datetime as dt
import email
from email import policy
from urllib.parse import urlsplit

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from audience.models import Client
from conftest import PageVisitor
from mailings.lifecycle import enqueue_run
from mailings.tests.factories import ClientFactory, mailing_to, unsubscribe_token
from sending.models import Attempt
from sending.passes import run_pass

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser():
    return PageVisitor()


def test_get_only_asks_for_confirmation(browser):
    client = ClientFactory(email="anna@example.org")
    response = browser.get(f"/unsubscribe/{unsubscribe_token(client.pk)}/")
    assert response.status_code == 200
    assert "anna@example.org" in response.content.decode()
    assert '<form method="post">' in response.content.decode()
    client.refresh_from_db()
    assert client.unsubscribed_at is None  # a mail scanner following links changes nothing


def test_the_pages_button_unsubscribes_with_the_pages_token(browser):
    client = ClientFactory()
    url = f"/unsubscribe/{unsubscribe_token(client.pk)}/"
    response = browser.post(url)
    assert (response.status_code, response.url) == (302, url)  # back to the page it was
    client.refresh_from_db()
    assert client.unsubscribed_at is not None


@pytest.mark.parametrize("action", ["", "resubscribe", "leave", "rejoin"])
def test_a_post_from_another_site_changes_nothing(action):
    """Only RFC 8058's one-click POST goes without the page's token: a form elsewhere
    cannot unsubscribe or resubscribe a visitor."""
    client = ClientFactory(status=Client.Status.UNSUBSCRIBED)
    other_site = HttpClient(enforce_csrf_checks=True)
    response = other_site.post(f"/unsubscribe/{unsubscribe_token(client.pk)}/", {"action": action})
    assert response.status_code == 403
    client.refresh_from_db()
    assert client.status == Client.Status.UNSUBSCRIBED


@pytest.mark.parametrize("status", [Client.Status.COMPLAINED, Client.Status.BOUNCED])
def test_a_link_never_reactivates_a_complaint_or_a_bounce(browser, status):
    client = ClientFactory(status=status, unsubscribed_at=timezone.now())
    url = f"/unsubscribe/{unsubscribe_token(client.pk)}/"
    assert 'id="resubscribe-form"' not in browser.get(url).content.decode()
    browser.post(url, {"action": "resubscribe"})
    client.refresh_from_db()
    assert client.status == status


def test_the_recipient_may_take_back_their_own_unsubscription(browser):
    client = ClientFactory(status=Client.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now())
    url = f"/unsubscribe/{unsubscribe_token(client.pk)}/"
    assert 'id="resubscribe-form"' in browser.get(url).content.decode()
    browser.post(url, {"action": "resubscribe"})
    client.refresh_from_db()
    assert client.status == Client.Status.ACTIVE


def test_the_rfc_8058_one_click_post_works(browser):
    client = ClientFactory()
    response = browser.post(
        f"/unsubscribe/{unsubscribe_token(client.pk)}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    client.refresh_from_db()
    assert client.unsubscribed_at is not None


def test_unsubscribing_twice_keeps_the_first_date(browser):
    client = ClientFactory()
    url = f"/unsubscribe/{unsubscribe_token(client.pk)}/"
    browser.post(url)
    client.refresh_from_db()
    first = client.unsubscribed_at
    response = browser.post(url, follow=True)
    client.refresh_from_db()
    assert response.status_code == 200
    assert client.unsubscribed_at == first
    assert (
        "already" in browser.get(url).content.decode() or "уже" in browser.get(url).content.decode()
    )


@pytest.mark.parametrize("token", ["garbage", "MTIz:forged", "NA:" + "x" * 43])
def test_a_bad_token_is_a_friendly_404_not_an_error(browser, token):
    for response in (browser.get(f"/unsubscribe/{token}/"), browser.post(f"/unsubscribe/{token}/")):
        assert response.status_code == 404
        assert '<form method="post">' not in response.content.decode()


def test_a_token_for_a_deleted_client_is_gone_not_wrong(browser):
    """A signed token whose client was deleted since: 410 and the page that says so
    (audience/tests/test_recipient_pages.py), not the tampered link's 404."""
    client = ClientFactory()
    token = unsubscribe_token(client.pk)
    client.delete()
    assert browser.post(f"/unsubscribe/{token}/").status_code == 410


def test_the_link_in_a_sent_email_unsubscribes_and_the_next_run_skips_the_client(browser, settings):
    mailing = mailing_to(2, periodicity="daily", end_at=timezone.now() + dt.timedelta(days=7))
    run_pass()
    eml = next(
        path
        for path in settings.EMAIL_OUTBOX_DIR.glob("*.eml")
        if "reader0@example.org" in path.read_text()
    )
    header = email.message_from_bytes(eml.read_bytes(), policy=policy.default)["List-Unsubscribe"]
    path = urlsplit(header.strip("<>")).path
    assert (
        browser.post(
            path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 200
    )
    assert Client.objects.get(email="reader0@example.org").unsubscribed_at is not None

    enqueue_run(mailing=mailing)
    run_pass()
    second = Attempt.objects.order_by("-pk").first()
    assert list(second.deliveries.values_list("email", flat=True)) == ["reader1@example.org"]


def test_the_page_speaks_russian_by_default_and_english_on_request(browser):
    url = f"/unsubscribe/{unsubscribe_token(ClientFactory().pk)}/"
    assert "Отписаться от этих рассылок?" in browser.get(url).content.decode()
    english = browser.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Unsubscribe from these mailings?" in english


def test_a_bounced_address_stays_bounced_through_unsubscribe_and_resubscribe(browser):
    """Found in review: one-click unsubscribe turned a bounce into an unsubscribe, which
    the page then let the recipient take back."""
    from audience.models import Suppression
    from audience.suppressions import suppression_record

    client = ClientFactory(status=Client.Status.BOUNCED)
    suppression_record(client=client, status=Client.Status.BOUNCED)
    url = f"/unsubscribe/{unsubscribe_token(client.pk)}/"
    browser.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert 'id="resubscribe-form"' not in browser.get(url).content.decode()
    browser.post(url, {"action": "resubscribe"})
    client.refresh_from_db()
    assert client.status == Client.Status.BOUNCED
    held = Suppression.objects.held().get(owner=client.owner)
    assert held.reason == Suppression.Reason.BOUNCED
    assert held.owner_may_lift
