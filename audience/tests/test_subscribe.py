"""/subscribe/<list-token>/: the public form, double opt-in with one signed single-use
link, and the sign-ups that must not happen (bots, floods, suppressed addresses)."""

import datetime as dt
import re
from email import policy
from email.parser import BytesParser
from html import unescape

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.template import Context, Template
from django.test import Client as HttpClient
from hypothesis import given
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from audience.models import Client, ConsentRecord, Membership
from audience.signals import subscriber_confirmed
from config.tests import hostile
from conftest import clear_cache
from mailings.lifecycle import mailing_schedule
from mailings.tests.factories import ClientFactory, DueMailingFactory
from senders.tests.factories import SenderFactory
from sending.models import Delivery
from sending.passes import run_pass

from .signup import confirmation_path, list_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitor():
    """A browser on another site: no session, CSRF checks on."""
    return HttpClient(enforce_csrf_checks=True, HTTP_USER_AGENT="Firefox/140.0")


def form_url(mailing_list) -> str:
    return f"/subscribe/{mailing_list.token}/"


def sign_up(visitor, mailing_list, email="anna@example.org", **extra):
    data = {"email": email, "full_name": "Анна", **extra.pop("data", {})}
    return visitor.post(form_url(mailing_list), data, **extra)


def test_the_form_speaks_the_lists_language_and_names_its_sender_not_the_platform(visitor):
    english = list_of(language="en")
    russian = list_of(language="ru")

    page = visitor.get(form_url(english), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert '<html lang="en">' in page
    assert "Subscribe" in page
    assert "Анна Лаврова" in page
    assert "Rassylka" not in page

    page = visitor.get(form_url(russian), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="ru">' in page
    assert "Подписаться" in page


def test_the_form_names_the_owners_default_sender(visitor):
    sender = SenderFactory(name="Лавка Ромашка", is_default=True, email="news@romashka.test")
    sender.confirmed_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    sender.save()
    page = visitor.get(form_url(list_of(owner=sender.owner))).content.decode()
    assert "Лавка Ромашка" in page


def test_a_double_opt_in_sign_up_is_pending_and_gets_one_email_in_the_lists_language(visitor):
    mailing_list = list_of(language="en")

    response = sign_up(visitor, mailing_list, REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 200
    assert 'data-outcome="received"' in response.content.decode()
    client = Client.objects.get()
    assert (client.email, client.full_name) == ("anna@example.org", "Анна")
    assert client.status == Client.Status.PENDING
    membership = Membership.objects.get()
    assert membership.status == Membership.Status.PENDING
    consent = ConsentRecord.objects.get()
    assert (consent.source, consent.ip_address, consent.user_agent) == (
        "form",
        "203.0.113.7",
        "Firefox/140.0",
    )
    assert consent.confirmed_at is None
    (email,) = mail.outbox
    assert email.to == ["anna@example.org"]
    assert email.subject == "Confirm your subscription to “Новости лавки”"
    headers = BytesParser(policy=policy.default).parsebytes(email.message().as_bytes())
    assert headers["From"].addresses[0].display_name == "Анна Лаврова"
    assert headers["Reply-To"].addresses[0].addr_spec == mailing_list.owner.email
    assert "Someone, probably you, asked" in email.body
    assert confirmation_path(email.body).startswith(f"/subscribe/{mailing_list.token}/confirm/")


def test_a_repeated_sign_up_sends_no_second_email_and_says_so(visitor):
    mailing_list = list_of()
    sign_up(visitor, mailing_list)

    again = sign_up(visitor, mailing_list, email="ANNA@example.org")

    assert 'data-outcome="received"' in again.content.decode()
    assert len(mail.outbox) == 1
    assert Client.objects.count() == 1
    assert ConsentRecord.objects.count() == 1


def test_after_the_window_a_new_sign_up_gets_a_new_link(visitor, settings):
    settings.SUBSCRIBE_RESEND_WINDOW = 60
    mailing_list = list_of()
    sign_up(visitor, mailing_list)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)):
        response = sign_up(visitor, mailing_list)
    assert 'data-outcome="received"' in response.content.decode()
    assert len(mail.outbox) == 2
    assert Membership.objects.count() == 1


def test_following_the_link_confirms_once(visitor):
    mailing_list = list_of()
    sign_up(visitor, mailing_list)
    path = confirmation_path(mail.outbox[0].body)
    heard = []
    subscriber_confirmed.connect(receiver := lambda sender, client, **kw: heard.append(client))
    try:
        asked = visitor.get(path)
        assert asked.status_code == 200
        assert Membership.objects.get().status == "pending"  # a mail scanner changes nothing

        browser = HttpClient(enforce_csrf_checks=True)
        browser.get(path)
        done = browser.post(path, {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    finally:
        subscriber_confirmed.disconnect(receiver)

    assert done.status_code == 200
    assert 'data-state="done"' in done.content.decode()
    client = Client.objects.get()
    assert client.status == Client.Status.ACTIVE
    membership = Membership.objects.get()
    assert membership.status == Membership.Status.SUBSCRIBED
    assert membership.confirmed_at is not None
    assert ConsentRecord.objects.get().confirmed_at == membership.confirmed_at
    assert heard == [client]

    replay = browser.post(path, {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    assert replay.status_code == 400
    assert 'data-state="used"' in replay.content.decode()
    assert visitor.get(path).status_code == 400
    assert (Client.objects.count(), Membership.objects.count()) == (1, 1)
    assert ConsentRecord.objects.count() == 1


def test_an_expired_link_is_refused_and_offers_a_new_sign_up(visitor, settings):
    settings.SUBSCRIBE_CONFIRM_DAYS = 3
    mailing_list = list_of()
    sign_up(visitor, mailing_list)
    path = confirmation_path(mail.outbox[0].body)

    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=3, minutes=1)):
        for response in (visitor.get(path), HttpClient().post(path)):
            assert response.status_code == 400
            assert 'data-state="expired"' in response.content.decode()
    assert Membership.objects.get().status == "pending"
    assert Client.objects.get().status == "pending"


def test_another_lists_token_a_tampered_one_or_garbage_is_404(visitor):
    mailing_list, other = list_of(), list_of()
    sign_up(visitor, mailing_list)
    path = confirmation_path(mail.outbox[0].body)
    signed = path.rstrip("/").rsplit("/", 1)[1]

    paths = [
        f"/subscribe/{other.token}/confirm/{signed}/",
        path[:-5] + "xxxx/",
        f"/subscribe/{mailing_list.token}/confirm/garbage/",
        f"/subscribe/nosuchlist/confirm/{signed}/",
    ]
    for bad in paths:
        for response in (visitor.get(bad), HttpClient().post(bad)):
            assert response.status_code == 404, bad
    assert Membership.objects.get().status == "pending"


def test_a_link_of_a_sign_up_that_was_replaced_by_leaving_does_not_rejoin(visitor):
    mailing_list = list_of()
    sign_up(visitor, mailing_list)
    path = confirmation_path(mail.outbox[0].body)
    Membership.objects.update(status=Membership.Status.UNSUBSCRIBED)

    browser = HttpClient()
    assert browser.post(path).status_code == 400
    assert Membership.objects.get().status == "unsubscribed"


def test_a_single_opt_in_list_subscribes_at_once_without_email(visitor):
    mailing_list = list_of(double_opt_in=False)

    response = sign_up(visitor, mailing_list)

    assert 'data-outcome="received"' in response.content.decode()
    assert Client.objects.get().status == Client.Status.ACTIVE
    assert Membership.objects.get().status == Membership.Status.SUBSCRIBED
    assert ConsentRecord.objects.get().source == "form"
    assert mail.outbox == []
    again = sign_up(visitor, mailing_list)
    assert 'data-outcome="received"' in again.content.decode()
    assert ConsentRecord.objects.count() == 1


def test_an_unsubscribed_address_must_confirm_even_on_a_single_opt_in_list(visitor):
    mailing_list = list_of(double_opt_in=False)
    client = ClientFactory(
        owner=mailing_list.owner, email="anna@example.org", unsubscribed_at=dt.datetime.now(dt.UTC)
    )

    response = sign_up(visitor, mailing_list)

    assert 'data-outcome="received"' in response.content.decode()
    client.refresh_from_db()
    assert client.status == Client.Status.UNSUBSCRIBED
    assert len(mail.outbox) == 1
    HttpClient().post(confirmation_path(mail.outbox[0].body))
    client.refresh_from_db()
    assert (client.status, client.unsubscribed_at) == (Client.Status.ACTIVE, None)


def test_an_active_client_joining_a_double_opt_in_list_stays_active_while_it_waits(visitor):
    mailing_list = list_of()
    client = ClientFactory(owner=mailing_list.owner, email="anna@example.org", full_name="Old")

    sign_up(visitor, mailing_list, data={"full_name": "Someone else"})

    client.refresh_from_db()
    assert (client.status, client.full_name) == (Client.Status.ACTIVE, "Old")
    assert Membership.objects.get().status == Membership.Status.PENDING
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("status", ["bounced", "complained"])
def test_a_suppressed_address_is_neither_mailed_nor_stored(visitor, status):
    mailing_list = list_of()
    ClientFactory(owner=mailing_list.owner, email="anna@example.org", status=status)

    response = sign_up(visitor, mailing_list)

    assert response.status_code == 200
    # The answer a new address gets: the form does not tell who bounced or complained.
    assert 'data-outcome="received"' in response.content.decode()
    assert mail.outbox == []
    assert not Membership.objects.exists()
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize("status", ["bounced", "complained"])
def test_confirming_never_reactivates_a_suppressed_client(visitor, status):
    mailing_list = list_of()
    sign_up(visitor, mailing_list)
    Client.objects.update(status=status)  # the address bounced after signing up

    HttpClient().post(confirmation_path(mail.outbox[0].body))

    assert Client.objects.get().status == status
    assert Membership.objects.get().status == Membership.Status.SUBSCRIBED


def test_the_honeypot_is_answered_as_usual_and_nothing_is_kept(visitor):
    response = sign_up(visitor, list_of(), data={"website": "http://spam.example"})

    assert response.status_code == 200
    assert 'data-outcome="received"' in response.content.decode()
    assert not Client.objects.exists()
    assert not ConsentRecord.objects.exists()
    assert mail.outbox == []


def test_the_embedded_form_posts_from_another_site_without_a_csrf_token(visitor):
    response = sign_up(
        visitor,
        list_of(),
        HTTP_ORIGIN="https://shop.example",
        HTTP_REFERER="https://shop.example/news/",
    )
    assert response.status_code == 200
    assert Client.objects.count() == 1


def test_a_flood_from_one_address_is_stopped(visitor, settings):
    settings.SUBSCRIBE_IP_LIMIT = 3
    mailing_list = list_of()
    for n in range(3):
        assert sign_up(visitor, mailing_list, email=f"a{n}@example.org").status_code == 200

    response = sign_up(visitor, mailing_list, email="late@example.org")

    assert response.status_code == 429
    assert response["Retry-After"]
    assert 'id="subscribe-limited"' in response.content.decode()
    assert Client.objects.count() == 3
    assert len(mail.outbox) == 3
    other_visitor = sign_up(visitor, mailing_list, email="b@example.org", REMOTE_ADDR="10.0.0.9")
    assert other_visitor.status_code == 200


def test_a_flood_for_one_email_is_stopped_whatever_the_address_and_list(visitor, settings):
    settings.SUBSCRIBE_ADDRESS_LIMIT = 2
    settings.SUBSCRIBE_RESEND_WINDOW = 0
    owner = UserFactory()
    lists = [list_of(owner=owner, name=f"L{n}") for n in range(3)]
    for n, mailing_list in enumerate(lists[:2]):
        response = sign_up(visitor, mailing_list, REMOTE_ADDR=f"198.51.100.{n}")
        assert response.status_code == 200

    response = sign_up(visitor, lists[2], email="Anna@Example.org", REMOTE_ADDR="198.51.100.9")

    assert response.status_code == 429
    assert len(mail.outbox) == 2
    assert Membership.objects.count() == 2


def test_form_errors_are_shown_in_the_lists_language(visitor):
    response = sign_up(visitor, list_of(language="en"), email="not an address")
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not Client.objects.exists()


def test_pending_clients_receive_nothing_until_they_confirm(visitor):
    mailing_list = list_of()
    sign_up(visitor, mailing_list)
    client = Client.objects.get()
    waiting = DueMailingFactory(owner=mailing_list.owner)
    waiting.clients.set([client])
    mailing_schedule(mailing=waiting)

    run_pass()
    assert waiting.attempts.get().total_count == 0
    assert not Delivery.objects.exists()

    HttpClient().post(confirmation_path(mail.outbox[0].body))
    later = DueMailingFactory(owner=mailing_list.owner)
    later.clients.set([client])
    mailing_schedule(mailing=later)
    run_pass()
    assert list(Delivery.objects.values_list("email", "attempt__mailing")) == [
        ("anna@example.org", later.pk)
    ]


def test_the_owners_include_shows_the_public_link_and_a_snippet_that_subscribes(visitor, settings):
    settings.SITE_URL = "https://mail.example"
    mailing_list = list_of(language="en")
    html = Template(
        '{% include "audience/includes/list_subscription.html" with mailing_list=the_list %}'
    ).render(Context({"the_list": mailing_list}))

    url = f"https://mail.example/subscribe/{mailing_list.token}/"
    assert f'href="{url}"' in html
    snippet = unescape(html.split('id="subscription-snippet"', 1)[1].split(">", 1)[1])
    snippet = snippet.split("</textarea>", 1)[0]
    assert f'<form method="post" action="{url}"' in snippet
    assert "Subscribe</button>" in snippet  # the list's language
    fields = re.findall(r'name="(\w+)"', snippet)
    assert fields == ["email", "full_name", "website"]

    # What the snippet posts, from the owner's site, is a sign-up.
    response = visitor.post(
        form_url(mailing_list),
        {"email": "reader@example.org", "full_name": "", "website": ""},
        HTTP_ORIGIN="https://shop.example",
    )
    assert 'data-outcome="received"' in response.content.decode()


@given(email=hostile.emails, full_name=hostile.text, website=st.sampled_from(["", "x"]))
def test_whatever_is_posted_one_address_gets_one_client_and_at_most_one_email(
    email, full_name, website
):
    mail.outbox = []
    clear_cache()  # each example starts below the rate limits
    with transaction.atomic():
        mailing_list = list_of()
        data = {"email": email, "full_name": full_name, "website": website}
        for _ in range(2):
            response = HttpClient().post(form_url(mailing_list), data)
            # 413: an address of megabytes is over ANONYMOUS_MAX_BODY_BYTES.
            assert response.status_code in (200, 413, 429)
        assert Client.objects.filter(owner=mailing_list.owner).count() <= 1
        assert len(mail.outbox) <= 1
        assert ConsentRecord.objects.count() == len(mail.outbox)
        if website:
            assert not Client.objects.exists()
        transaction.set_rollback(True)
