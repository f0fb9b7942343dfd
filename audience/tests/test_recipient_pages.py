"""The pages a recipient opens tell the truth: what each choice changed (read back from
the database after a redirect), in the language the recipient picks, under the sender's
brand and nothing of the platform's; a link whose account is gone says so kindly, a
tampered one says it was changed."""

import re
from urllib.parse import quote, urljoin

import pytest
from django.core import mail, signing
from django.db import transaction
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from accounts.services import user_delete
from audience.models import Client, Membership
from audience.unsubscribe_tokens import UNSUBSCRIBE_SALT
from conftest import PageVisitor
from content.renderer import Renderer
from mailings.tests.factories import ClientFactory, MailingFactory, unsubscribe_token
from senders.models import Brand
from senders.tests.factories import SenderFactory

from .signup import confirmation_path, list_of

pytestmark = pytest.mark.django_db

LOGO = "https://cdn.romashka.example/logo.png"


@pytest.fixture
def browser():
    return PageVisitor()


@pytest.fixture
def sender():
    sender = SenderFactory(
        name="Лавка «Ромашка»",
        postal_address="Лесная ул., 1\nМосква",
        confirmed_at=timezone.now(),
        is_default=True,
    )
    Brand.objects.create(owner=sender.owner, logo_url=LOGO, accent_color="#aa3300")
    return sender


@pytest.fixture
def reader(sender):
    """A client on two of the sender's lists, with the link of a Russian mailing."""
    news = list_of(owner=sender.owner, name="Новости")
    offers = list_of(owner=sender.owner, name="Акции")
    client = ClientFactory(owner=sender.owner, email="anna@example.org")
    for mailing_list in (news, offers):
        Membership.objects.create(client=client, mailing_list=mailing_list)
    mailing = MailingFactory(owner=sender.owner, sender=sender, language="ru")
    url = Renderer.for_mailing(mailing, attempt_id=1).unsubscribe_url(client.pk)
    return client, news, offers, "/" + url.split("/", 3)[3]


def rows(page: str) -> dict[str, str]:
    """Each list row's id and the status it shows."""
    return dict(re.findall(r'data-list="(\d+)" data-status="(\w+)"', page))


def html(response) -> str:
    return response.content.decode()


def test_after_unsubscribing_every_list_shows_unsubscribed(browser, reader):
    client, news, offers, path = reader
    assert set(rows(html(browser.get(path))).values()) == {"subscribed"}

    response = browser.post(path)

    assert (response.status_code, response.url) == (302, path)
    page = html(browser.get(path))
    assert "Вы отписались" in page
    assert rows(page) == {str(news.pk): "unsubscribed", str(offers.pk): "unsubscribed"}
    assert "Вы подписаны" not in page and "Подписан" not in page
    assert page.count("Вы отписаны") == 2
    # From everything: one list alone cannot come back, "Subscribe again" brings them all.
    assert 'value="rejoin"' not in page and 'id="resubscribe-form"' in page
    assert "Вы уже отписались" in html(browser.get(path))  # a later visit: no fresh notice


def test_subscribing_again_brings_the_lists_back_as_they_were(browser, reader):
    client, news, offers, path = reader
    browser.post(path, {"action": "leave", "list": str(news.pk)})
    browser.post(path)

    page = html(browser.post(path, {"action": "resubscribe"}, follow=True))

    assert "Вы снова подписаны" in page
    assert rows(page) == {str(news.pk): "unsubscribed", str(offers.pk): "subscribed"}
    client.refresh_from_db()
    assert client.status == Client.Status.ACTIVE


def test_leaving_one_list_changes_that_list_alone(browser, reader):
    client, news, offers, path = reader

    response = browser.post(path, {"action": "leave", "list": str(news.pk)})

    assert (response.status_code, response.url) == (302, path)
    page = html(browser.get(path))
    assert rows(page) == {str(news.pk): "unsubscribed", str(offers.pk): "subscribed"}
    assert 'data-notice="left"' in page and "Новости" in page
    assert "Отписаться от рассылок Лавка «Ромашка»?" in page  # still subscribed otherwise
    reload = html(browser.get(path))
    assert "data-notice" not in reload  # the notice was the redirect's, once
    assert rows(reload) == rows(page)


def test_joining_again_shows_that_list_waiting_for_confirmation(browser, reader):
    client, news, offers, path = reader
    browser.post(path, {"action": "leave", "list": str(news.pk)})

    page = html(browser.post(path, {"action": "rejoin", "list": str(news.pk)}, follow=True))

    assert rows(page) == {str(news.pk): "pending", str(offers.pk): "subscribed"}
    assert 'data-notice="confirmation_sent"' in page
    assert len(mail.outbox) == 1


def test_a_waiting_client_sees_every_list_waiting(browser, reader):
    client, news, offers, path = reader
    Client.objects.filter(pk=client.pk).update(status=Client.Status.PENDING)

    page = html(browser.get(path))

    assert set(rows(page).values()) == {"pending"}


def switch_to(browser, path: str, page: str, language: str):
    """Follow the page's own language link, as a visitor clicks it."""
    (href,) = re.findall(rf'href="([^"]*)"[^>]*data-lang="{language}"', page)
    return browser.get(urljoin(path, href.replace("&amp;", "&")))


def test_the_language_switch_changes_the_language_and_stays_on_the_page(browser, reader):
    client, news, offers, path = reader
    russian = html(browser.get(path, HTTP_ACCEPT_LANGUAGE="en"))
    assert 'lang="ru"' in russian and "Отписаться от рассылок" in russian

    english = switch_to(browser, path, russian, "en")

    assert english.status_code == 200
    assert english.request["PATH_INFO"] == path
    assert 'lang="en"' in html(english)
    assert "Unsubscribe from the mailings of Лавка «Ромашка»?" in html(english)
    assert "Your lists of" in html(english)

    back = switch_to(browser, path, html(english), "ru")
    assert back.request["PATH_INFO"] == path
    assert "Отписаться от рассылок Лавка «Ромашка»?" in html(back)


def test_a_choice_made_in_the_chosen_language_stays_in_it(browser, reader):
    client, news, offers, path = reader

    response = browser.post(f"{path}?language=en", {"action": "leave", "list": str(news.pk)})

    assert response.url == f"{path}?language=en"
    page = html(browser.get(response.url))
    assert "You have left the list “Новости”" in page
    assert "Unsubscribe from the mailings of" in page


def test_a_language_we_do_not_speak_is_ignored(browser, reader):
    path = reader[3]
    assert "Отписаться от рассылок" in html(browser.get(f"{path}?language=xx"))


def test_the_page_wears_the_senders_brand_and_none_of_the_platforms(browser, reader):
    path = reader[3]

    response = browser.get(path)

    page = html(response)
    assert 'id="sender-name"' in page and "Лавка «Ромашка»" in page
    assert f'src="{LOGO}"' in page
    assert "Лесная ул., 1<br>Москва" in page
    assert "#aa3300" in page
    assert "cdn.romashka.example" in response["Content-Security-Policy"]
    for platform in ("/accounts/login/", "/accounts/signup/", "/blog/", "navbar", "Rassylka"):
        assert platform not in page, platform


def test_an_http_logo_is_left_out_and_the_policy_untouched(browser, reader, sender):
    Brand.objects.filter(owner=sender.owner).update(logo_url="http://cdn.example/logo.png")

    response = browser.get(reader[3])

    assert "cdn.example" not in html(response)
    assert "cdn.example" not in response["Content-Security-Policy"]


def test_the_subscription_form_and_its_confirmation_wear_the_brand_too(browser, sender):
    mailing_list = list_of(owner=sender.owner, double_opt_in=True)
    form = html(browser.get(f"/subscribe/{mailing_list.token}/"))
    browser.post(f"/subscribe/{mailing_list.token}/", {"email": "new@example.org"})
    confirm = html(browser.get(confirmation_path(mail.outbox[0].body)))

    for page in (form, confirm):
        assert f'src="{LOGO}"' in page and "Лесная ул., 1<br>Москва" in page
        assert "/accounts/login/" not in page and "/blog/" not in page


def test_the_subscription_form_follows_the_language_switch(browser, sender):
    mailing_list = list_of(owner=sender.owner)
    path = f"/subscribe/{mailing_list.token}/"
    assert "Подписаться" in html(browser.get(path))

    english = html(browser.get(f"{path}?language=en"))

    assert 'lang="en"' in english and ">Subscribe</button>" in english


def test_a_link_of_a_deleted_account_says_the_subscription_is_gone(browser, reader, sender):
    client, news, offers, path = reader
    user_delete(user=sender.owner)

    for response in (browser.get(path), browser.post(path)):
        assert response.status_code == 410
        assert "Этой подписки больше нет" in html(response)
        assert "больше вам по ней ничего не придёт" in html(response)
        assert "изменена" not in html(response)


def test_a_link_of_a_deleted_client_says_the_subscription_is_gone(browser):
    client = ClientFactory()
    path = f"/unsubscribe/{unsubscribe_token(client.pk)}/"
    client.delete()

    response = browser.get(path, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 410
    assert "This subscription no longer exists" in html(response)


def test_a_tampered_link_still_says_it_was_changed(browser, reader):
    path = reader[3]
    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = f"/unsubscribe/{token[:-3]}xyz/"

    response = browser.get(tampered)

    assert response.status_code == 404
    assert "Ссылка неполная или изменена" in html(response)
    assert "Этой подписки больше нет" not in html(response)


def test_a_deleted_mailing_leaves_the_page_working(browser, reader):
    client, news, offers, path = reader
    client.owner.mailings.all().delete()

    response = browser.get(path)

    assert response.status_code == 200
    assert set(rows(html(response)).values()) == {"subscribed"}


def test_one_click_unsubscribe_answers_in_place(browser, reader):
    client, news, offers, path = reader

    response = browser.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert set(rows(html(response)).values()) == {"unsubscribed"}
    client.refresh_from_db()
    assert client.status == Client.Status.UNSUBSCRIBED


def test_one_click_for_a_gone_account_is_answered_ok(browser, reader, sender):
    path = reader[3]
    user_delete(user=sender.owner)

    response = browser.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert "Этой подписки больше нет" in html(response)


def test_a_confirmation_link_of_a_deleted_list_says_it_is_gone(browser, sender):
    mailing_list = list_of(owner=sender.owner, double_opt_in=True)
    browser.post(f"/subscribe/{mailing_list.token}/", {"email": "new@example.org"})
    path = confirmation_path(mail.outbox[0].body)
    mailing_list.delete()

    response = browser.get(path)

    assert response.status_code == 410
    assert "Этой подписки больше нет" in html(response)
    tampered = browser.get(path[:-4] + "xyz/")
    assert tampered.status_code == 404


def test_a_confirmation_link_of_a_deleted_account_says_it_is_gone(browser, sender):
    mailing_list = list_of(owner=sender.owner, double_opt_in=True)
    browser.post(f"/subscribe/{mailing_list.token}/", {"email": "new@example.org"})
    path = confirmation_path(mail.outbox[0].body)
    user_delete(user=sender.owner)

    assert browser.get(path).status_code == 410


TOKEN_VALUES = st.one_of(
    st.integers(),
    st.lists(st.integers(), max_size=3),
    st.text(max_size=20),
    st.none(),
    st.booleans(),
)


@pytest.mark.slow
def test_no_token_breaks_the_page(reader):
    signed = TOKEN_VALUES.map(signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object)

    @given(token=st.one_of(st.text(max_size=200), signed), one_click=st.booleans())
    def run(token, one_click):
        path = f"/unsubscribe/{quote(token, safe='')}/"
        browser = PageVisitor()
        with transaction.atomic():
            responses = [browser.get(path)]
            if one_click:
                responses.append(
                    browser.post(
                        path,
                        "List-Unsubscribe=One-Click",
                        content_type="application/x-www-form-urlencoded",
                    )
                )
            transaction.set_rollback(True)
        for response in responses:
            assert response.status_code in (200, 404, 410), token

    run()


@pytest.mark.slow
def test_no_choice_breaks_the_page(reader):
    client, news, offers, path = reader
    known = {"news": str(news.pk), "offers": str(offers.pk)}

    @given(
        action=st.one_of(st.sampled_from(["", "leave", "rejoin", "resubscribe"]), st.text()),
        list_id=st.one_of(st.sampled_from(sorted(known)), st.text()),
        language=st.one_of(st.sampled_from(["ru", "en"]), st.text()),
        one_click=st.one_of(st.just("One-Click"), st.text()),
    )
    def run(action, list_id, language, one_click):
        url = f"{path}?language={quote(language, safe='')}"
        data = {
            "action": action,
            "list": known.get(list_id, list_id),
            "List-Unsubscribe": one_click,
        }
        browser = PageVisitor()
        with transaction.atomic():
            response = browser.post(url, data, follow=True)
            # Whatever was posted, the page after it shows the rows as they are now.
            shown = rows(html(response))
            stored = Membership.objects.filter(client=client).values_list(
                "mailing_list_id", "status"
            )
            stored = {str(pk): status for pk, status in stored}
            client.refresh_from_db()
            transaction.set_rollback(True)
        assert response.status_code in (200, 404, 429)
        if client.status == Client.Status.ACTIVE:
            assert shown == stored
        else:
            assert set(shown.values()) == {"unsubscribed"}

    run()


def test_the_form_of_a_deleted_list_says_it_is_closed_without_the_platforms_chrome(browser):
    mailing_list = list_of()
    path = f"/subscribe/{mailing_list.token}/"
    mailing_list.delete()

    for response in (browser.get(path), browser.post(path, {"email": "new@example.org"})):
        assert response.status_code == 404
        assert "Эта форма подписки закрыта" in html(response)
        assert "/accounts/login/" not in html(response)
    assert not Client.objects.exists()
