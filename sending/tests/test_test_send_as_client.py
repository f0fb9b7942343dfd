"""A test copy is the email the preview shows (SPEC §7 "Test send as a client"):
personalised as the previewed client, from the mailing's sender or the user's default
one, sent through the real SMTP server; and the preview comes back as it was."""

import email
import email.policy
from email.utils import parseaddr

import dkim
import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from conftest import clear_cache
from mailings.tests.factories import ClientFactory, MailingFactory, MessageFactory
from senders.dns_checks import records_for
from senders.tests.factories import DomainFactory, SenderFactory
from sending.mail_queue import queued_emails_send
from sending.models import QueuedEmail

pytestmark = pytest.mark.django_db

SUBJECT = "Весна пришла, {{ full_name }}!"
BODY = 'Ждём вас в {{ city | "нашем городе" }}. Письмо для {{ email }}.'


@pytest.fixture(autouse=True)
def _fresh_limit():
    # Each test's sends count from zero: the limit has its own tests.
    clear_cache()


@pytest.fixture
def message(owner):
    return MessageFactory(owner=owner, subject=SUBJECT, body=BODY)


@pytest.fixture
def ada(owner):
    return ClientFactory(
        owner=owner, full_name="Ада Лавлейс", email="ada@example.org", attributes={"city": "Казань"}
    )


def confirmed_sender(owner, **kwargs):
    sender = SenderFactory(owner=owner, **kwargs)
    sender.confirmed_at = timezone.now()
    sender.save()
    return sender


def send_test(signed_in, message, **data):
    return signed_in.submit(
        f"/messages/{message.pk}/test/", data, form_url=f"/messages/{message.pk}/preview/"
    )


def received_one(smtp_server):
    assert queued_emails_send() == 1
    ((rcpt, data),) = smtp_server.handler.messages
    return rcpt, data, email.message_from_bytes(data, policy=email.policy.default)


def test_the_copy_is_the_clients_email_from_the_default_sender(
    signed_in, owner, message, ada, smtp_server
):
    """The issue's finding: `[Тест] Весна пришла, !` from noreply@localhost."""
    confirmed_sender(owner, name="Альфа", email="alpha@shop.test")  # usable, not the default
    default = confirmed_sender(owner, name="Лавка Ольги", email="olga@shop.test", is_default=True)

    response = send_test(signed_in, message, to=owner.email, client=ada.pk)

    assert response.status_code == 302
    assert response["Location"] == f"/messages/{message.pk}/preview/?client={ada.pk}"
    rcpt, _data, received = received_one(smtp_server)
    assert rcpt == owner.email and received["To"] == owner.email
    assert received["Subject"] == "[Тест] Весна пришла, Ада Лавлейс!"
    text = received.get_body(("plain",)).get_content()
    assert "Ждём вас в Казань. Письмо для ada@example.org." in text
    assert "Письмо для ada@example.org" in received.get_body(("html",)).get_content()
    assert received["From"].addresses[0].display_name == "Лавка Ольги"
    assert received["From"].addresses[0].addr_spec == default.email
    # Never the client's own unsubscribe link: a test copy may be forwarded.
    assert received["List-Unsubscribe"] == "<http://127.0.0.1:8000/unsubscribe/sample/>"
    assert QueuedEmail.objects.get().envelope_from == default.email


def test_the_copy_from_a_verified_domain_is_signed(signed_in, owner, message, ada, smtp_server):
    domain = DomainFactory(owner=owner, domain="shop.test", verified_at=timezone.now())
    # On a verified domain a sender is usable without its confirmation link.
    SenderFactory(owner=owner, name="Лавка", email="news@shop.test", is_default=True)
    txt = {f"{r.name}.": r.value.encode() for r in records_for(domain) if r.kind == "dkim"}

    send_test(signed_in, message, to=owner.email, client=ada.pk)

    _rcpt, data, received = received_one(smtp_server)
    assert received["From"].addresses[0].addr_spec == "news@shop.test"
    assert dkim.verify(data, dnsfunc=lambda name, timeout=5: txt.get(name.decode(), b""))


def test_from_a_mailings_context_the_copy_is_as_that_mailing_sends_it(
    signed_in, owner, message, ada, smtp_server
):
    confirmed_sender(owner, name="Лавка Ольги", email="olga@shop.test", is_default=True)
    other = confirmed_sender(owner, name="Распродажи", email="sale@shop.test")
    mailing = MailingFactory(owner=owner, message=message, sender=other, language="en")

    response = send_test(signed_in, message, to=owner.email, client=ada.pk, mailing=mailing.pk)

    assert response["Location"] == (
        f"/messages/{message.pk}/preview/?client={ada.pk}&mailing={mailing.pk}"
    )
    _rcpt, _data, received = received_one(smtp_server)
    assert received["From"].addresses[0].addr_spec == "sale@shop.test"
    assert received["List-Id"] == f"<mailing-{mailing.pk}.shop.test>"
    # The mailing's language: its footer is English.
    assert "mailing list of Распродажи" in received.get_body(("plain",)).get_content()


def test_without_a_usable_sender_it_comes_from_the_platform_and_the_page_says_so(
    signed_in, owner, message, smtp_server, settings
):
    SenderFactory(owner=owner, is_default=True)  # never confirmed: not usable
    page = signed_in.get(f"/messages/{message.pk}/preview/").content.decode()
    assert 'id="preview-platform-sender"' in page

    send_test(signed_in, message, to=owner.email)

    _rcpt, _data, received = received_one(smtp_server)
    assert received["From"].addresses[0].addr_spec == parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    assert received["From"].addresses[0].display_name == owner.get_full_name()


def test_with_a_usable_sender_the_page_says_nothing_of_the_platform(signed_in, owner, message):
    confirmed_sender(owner)
    page = signed_in.get(f"/messages/{message.pk}/preview/").content.decode()
    assert 'id="preview-platform-sender"' not in page


def test_without_a_client_the_copy_has_the_previews_sample_data(
    signed_in, owner, message, smtp_server
):
    response = send_test(signed_in, message, to=owner.email)

    assert response["Location"] == f"/messages/{message.pk}/preview/"
    _rcpt, _data, received = received_one(smtp_server)
    assert received["Subject"] == "[Тест] Весна пришла, Анна Смирнова!"
    assert received["To"] == owner.email
    text = received.get_body(("plain",)).get_content()
    assert "в нашем городе" in text and "recipient@example.com" in text


@pytest.mark.parametrize("whose", ["another user's", "nobody's"])
def test_a_client_that_is_not_ones_own_is_refused_without_a_leak(signed_in, owner, message, whose):
    stranger = ClientFactory(owner=UserFactory(), email="secret@example.net")
    client_id = stranger.pk if whose == "another user's" else stranger.pk + 1000

    response = send_test(signed_in, message, to=owner.email, client=client_id)

    assert response.status_code == 302
    assert response["Location"] == f"/messages/{message.pk}/preview/"
    assert not QueuedEmail.objects.exists()
    page = signed_in.get(response["Location"]).content.decode()
    # The same words whether the client is someone else's or no one's.
    assert "Такого клиента среди ваших нет" in page
    assert "secret@example.net" not in page


def test_a_mailing_that_does_not_send_this_message_is_refused(signed_in, owner, message, ada):
    own_other = MailingFactory(owner=owner)  # another message of the owner's
    strangers = MailingFactory(owner=UserFactory())
    for mailing in (own_other, strangers):
        response = send_test(signed_in, message, to=owner.email, client=ada.pk, mailing=mailing.pk)
        # Refused, and the valid client is kept.
        assert response["Location"] == f"/messages/{message.pk}/preview/?client={ada.pk}"
    assert not QueuedEmail.objects.exists()


def test_after_sending_the_preview_shows_the_same_client(signed_in, owner, message, ada):
    response = send_test(signed_in, message, to=owner.email, client=ada.pk)
    page = signed_in.get(response["Location"])
    assert page.context["client"] == ada
    assert page.context["test_form"]["client"].value() == ada.pk
    assert f'name="client" value="{ada.pk}"' in page.content.decode()


@pytest.mark.slow
def test_no_client_or_mailing_value_but_ones_own_personalises_a_test(signed_in, owner, message):
    """Whatever arrives as `client` or `mailing`: an answer, never a 500, and no copy
    personalised as anyone but the user's own clients."""
    stranger_client = ClientFactory(owner=UserFactory())
    stranger_mailing = MailingFactory(owner=UserFactory())
    ids = st.sampled_from([str(stranger_client.pk), str(stranger_mailing.pk), "0", "-1"])
    values = st.one_of(ids, st.text(max_size=30), st.integers().map(str))

    @given(client=values, mailing=values)
    def run(client, mailing):
        clear_cache()
        with transaction.atomic():
            response = send_test(signed_in, message, to=owner.email, client=client, mailing=mailing)
            assert response.status_code == 302
            # Queued only without either: the sample recipient, the default sender.
            assert QueuedEmail.objects.exists() == (client == mailing == "")
            transaction.set_rollback(True)

    run()
