import re
from email import message_from_bytes

import pytest
from django.utils import timezone

from senders.models import Sender
from sending.models import QueuedEmail

from .factories import DomainFactory, SenderFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

FORM = {"name": "Лавка Ивановых", "reply_to": "", "postal_address": "Москва, ул. Лесная, 1"}


@pytest.fixture(autouse=True)
def _queued_mail(settings):
    # The real backend (pytest-django swaps in locmem): proves the link is only queued.
    settings.EMAIL_BACKEND = "sending.mail_queue.QueuedEmailBackend"


def queued_link() -> str:
    email = QueuedEmail.objects.get()
    text = message_from_bytes(bytes(email.data)).get_payload(decode=True).decode()
    return re.search(r"https?://\S+/senders/confirm/\S+/", text).group(0)


def test_a_new_address_is_usable_only_after_it_follows_the_emailed_link(signed_in, owner, settings):
    response = signed_in.submit("/senders/new/", {**FORM, "email": "news@shop.test"})

    sender = Sender.objects.get(owner=owner)
    assert response.status_code == 302
    assert not sender.is_usable
    assert sender.is_default  # the first sender is the default one
    # The link waits in the queue for the sender process: no SMTP inside the request.
    email = QueuedEmail.objects.get()
    assert email.recipient == "news@shop.test"
    assert email.status == QueuedEmail.Status.PENDING
    path = queued_link().removeprefix(settings.SITE_URL)

    signed_in.logout()  # whoever holds the mailbox confirms, signed in or not
    page = signed_in.get(path)
    assert page.status_code == 200
    sender.refresh_from_db()
    assert sender.confirmed_at is None  # opening the link (a mail scanner) is not enough
    assert signed_in.submit(path, {}).status_code == 200

    sender.refresh_from_db()
    assert sender.confirmed_at is not None
    assert sender.is_usable


def test_an_address_on_the_owners_verified_domain_is_usable_at_once(signed_in, owner):
    DomainFactory(owner=owner, domain="shop.test", verified_at=timezone.now())

    signed_in.submit("/senders/new/", {**FORM, "email": "News@Shop.test"})

    assert Sender.objects.get(owner=owner).is_usable
    assert not QueuedEmail.objects.exists()


def test_an_address_on_another_users_verified_domain_is_refused(signed_in, owner):
    DomainFactory(domain="shop.test", verified_at=timezone.now())

    response = signed_in.submit("/senders/new/", {**FORM, "email": "news@shop.test"})

    assert response.status_code == 200
    assert "verified by another account" in response.content.decode()
    assert not Sender.objects.exists()
    assert not QueuedEmail.objects.exists()


def test_another_users_verified_domain_overrides_an_earlier_confirmation():
    sender = SenderFactory(email="news@shop.test", confirmed_at=timezone.now())
    assert sender.is_usable
    DomainFactory(domain="shop.test", verified_at=timezone.now())

    assert not sender.is_usable


def test_an_unverified_domain_of_the_owner_does_not_make_an_address_usable():
    sender = SenderFactory(email="news@shop.test")
    DomainFactory(owner=sender.owner, domain="shop.test")

    assert not sender.is_usable


def test_a_changed_address_must_confirm_again(signed_in, owner):
    sender = SenderFactory(owner=owner, email="news@shop.test", confirmed_at=timezone.now())

    signed_in.submit(f"/senders/{sender.pk}/edit/", {**FORM, "email": "sales@shop.test"})

    sender.refresh_from_db()
    assert sender.confirmed_at is None
    assert QueuedEmail.objects.get().recipient == "sales@shop.test"


def test_a_link_for_the_old_address_confirms_nothing(signed_in, owner, settings):
    sender = SenderFactory(owner=owner, email="news@shop.test")
    signed_in.submit(f"/senders/{sender.pk}/confirm/", {}, form_url="/senders/")
    path = queued_link().removeprefix(settings.SITE_URL)
    Sender.objects.filter(pk=sender.pk).update(email="other@elsewhere.test")

    response = signed_in.submit(path, {})

    assert response.status_code == 404
    sender.refresh_from_db()
    assert sender.confirmed_at is None


def test_a_tampered_link_is_a_clear_404(client):
    response = client.get("/senders/confirm/not-a-token/")

    assert response.status_code == 404
    assert 'id="confirm-invalid"' in response.content.decode()


def test_one_default_sender_at_a_time(signed_in, owner):
    first = SenderFactory(owner=owner, is_default=True)

    signed_in.submit("/senders/new/", {**FORM, "email": "b@shop.test", "is_default": "on"})

    second = Sender.objects.get(email="b@shop.test")
    first.refresh_from_db()
    assert second.is_default and not first.is_default


def test_a_duplicate_address_is_a_form_error(signed_in, owner):
    SenderFactory(owner=owner, email="news@shop.test")

    response = signed_in.submit("/senders/new/", {**FORM, "email": "NEWS@shop.test"})

    assert response.status_code == 200
    assert Sender.objects.count() == 1
