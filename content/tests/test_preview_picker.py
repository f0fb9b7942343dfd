"""The preview's client picker is a search (?q=), never a list of every client: a few
of the owner's matches as links that keep ?client=<id> and the mailing shown; the
preview is as one of the message's mailings sends it (?mailing=<id>) or from the
owner's default sender."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client as Browser
from django.utils import timezone

from accounts.tests.factories import UserFactory, manager
from audience.models import Client
from content.selectors import PREVIEW_MATCHES
from mailings.tests.factories import ClientFactory, MailingFactory, MessageFactory
from senders.tests.factories import SenderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def message(owner):
    return MessageFactory(owner=owner, subject="Для {{ full_name }}")


def match_links(page: str) -> list[dict[str, list[str]]]:
    """The query of every match link in the page's list of matches."""
    matches = page.partition('id="preview-matches"')[2].partition("</div>")[0]
    return [
        parse_qs(urlsplit(unescape(href)).query) for href in re.findall(r'href="([^"]*)"', matches)
    ]


def confirmed_sender(owner, **kwargs):
    return SenderFactory(owner=owner, confirmed_at=timezone.now(), **kwargs)


def test_the_search_finds_only_ones_own_clients(signed_in, owner, message):
    anna = ClientFactory(owner=owner, full_name="Анна Петрова", email="anna@shop.test")
    ClientFactory(owner=owner, full_name="Борис", email="boris@shop.test")
    ClientFactory(owner=UserFactory(), full_name="Анна Чужая", email="stranger@else.test")

    response = signed_in.get(f"/messages/{message.pk}/preview/", {"q": "АННА"})

    assert response.status_code == 200
    assert response.context["matches"] == [anna]
    page = response.content.decode()
    assert match_links(page) == [{"client": [str(anna.pk)]}]
    assert "stranger@else.test" not in page and "boris@shop.test" not in page


def test_it_shows_a_few_matches_and_no_list_of_everyone(signed_in, owner, message):
    Client.objects.bulk_create(
        Client(owner=owner, email=f"reader{n}@shop.test", full_name=f"Читатель {n}")
        for n in range(PREVIEW_MATCHES + 5)
    )
    page = signed_in.get(f"/messages/{message.pk}/preview/", {"q": "читатель"}).content.decode()
    assert len(match_links(page)) == PREVIEW_MATCHES == 20
    assert '<select class="form-select" name="client"' not in page
    # Without a search: no matches at all, whatever the owner's list.
    page = signed_in.get(f"/messages/{message.pk}/preview/").content.decode()
    assert 'id="preview-matches"' not in page and "reader0@shop.test" not in page


def test_nothing_found_says_so(signed_in, message):
    page = signed_in.get(f"/messages/{message.pk}/preview/", {"q": "нет такого"}).content.decode()
    assert "Таких клиентов нет." in page


def test_a_match_keeps_the_mailing_shown_and_the_chosen_client_stays(signed_in, owner, message):
    anna = ClientFactory(owner=owner, full_name="Анна")
    mailing = MailingFactory(owner=owner, message=message)

    page = signed_in.get(
        f"/messages/{message.pk}/preview/", {"q": "анна", "mailing": mailing.pk}
    ).content.decode()
    assert match_links(page) == [{"mailing": [str(mailing.pk)], "client": [str(anna.pk)]}]

    response = signed_in.get(
        f"/messages/{message.pk}/preview/", {"client": anna.pk, "mailing": mailing.pk}
    )
    assert response.context["preview"].subject == "Для Анна"
    page = response.content.decode()
    # The frames and the test form show the same client, as the same mailing sends it.
    assert f"/preview/email/?client={anna.pk}&amp;mailing={mailing.pk}" in page
    assert f'name="client" value="{anna.pk}"' in page
    assert f'name="mailing" value="{mailing.pk}"' in page


def test_without_a_mailing_the_preview_is_from_the_default_sender(signed_in, owner, message):
    confirmed_sender(owner, name="Лавка Ольги", email="olga@shop.test", is_default=True)
    other = confirmed_sender(owner, name="Распродажи", email="sale@shop.test")
    mailing = MailingFactory(owner=owner, message=message, sender=other)

    preview = signed_in.get(f"/messages/{message.pk}/preview/").context["preview"]
    assert preview.from_header == "Лавка Ольги <olga@shop.test>"
    url = f"/messages/{message.pk}/preview/?mailing={mailing.pk}"
    assert signed_in.get(url).context["preview"].from_header == "Распродажи <sale@shop.test>"


def test_a_mailing_that_does_not_send_the_message_is_404(signed_in, owner, message):
    for mailing in (MailingFactory(owner=owner), MailingFactory(owner=UserFactory())):
        for path in ("preview", "preview/email"):
            url = f"/messages/{message.pk}/{path}/?mailing={mailing.pk}"
            assert signed_in.get(url).status_code == 404


def test_a_manager_finds_the_owners_clients_only_and_sends_no_test(owner, message):
    ClientFactory(owner=owner, full_name="Анна Своя")
    ClientFactory(owner=UserFactory(), full_name="Анна Чужая")
    browser = Browser()
    browser.force_login(manager())

    response = browser.get(f"/messages/{message.pk}/preview/", {"q": "анна"})

    assert [str(client) for client in response.context["matches"]] == [
        str(Client.objects.get(full_name="Анна Своя"))
    ]
    assert "/test/" not in response.content.decode()


def test_the_mailing_page_previews_its_message_as_it_sends_it(signed_in, owner, message):
    mailing = MailingFactory(owner=owner, message=message)
    page = signed_in.get(f"/mailings/{mailing.pk}/").content.decode()
    link = f'href="/messages/{message.pk}/preview/?mailing={mailing.pk}" id="mailing-preview"'
    assert link in page
