"""A mailing picks its sender (only the owner's usable ones) and its language."""

import pytest
from django.utils import timezone

from mailings.models import Mailing
from mailings.tests.factories import ClientFactory, MessageFactory

from .factories import DomainFactory, SenderFactory

pytestmark = pytest.mark.django_db


def form_data(owner, **extra) -> dict:
    return {
        "message": MessageFactory(owner=owner).pk,
        "start_at": "2031-01-01T10:00",
        "periodicity": "once",
        "clients": [ClientFactory(owner=owner).pk],
        **extra,
    }


def test_the_default_sender_is_preselected_and_only_usable_senders_are_offered(signed_in, owner):
    default = SenderFactory(owner=owner, is_default=True, confirmed_at=timezone.now())
    other = SenderFactory(owner=owner, confirmed_at=timezone.now())
    waiting = SenderFactory(owner=owner)  # never confirmed
    strangers = SenderFactory(confirmed_at=timezone.now())

    form = signed_in.get("/mailings/new/").context["form"]

    choices = {value for value, _label in form.fields["sender"].choices if value}
    assert choices == {default.pk, other.pk}
    assert waiting.pk not in choices and strangers.pk not in choices
    assert form["sender"].value() == default.pk


def test_the_language_defaults_to_the_interface_language(signed_in, owner):
    signed_in.submit("/i18n/setlang/", {"language": "en"}, form_url="/mailings/")

    form = signed_in.get("/mailings/new/").context["form"]

    assert form["language"].value() == "en"


def test_a_mailing_saves_its_sender_and_language(signed_in, owner):
    DomainFactory(owner=owner, domain="shop.test", verified_at=timezone.now())
    sender = SenderFactory(owner=owner, email="news@shop.test")

    response = signed_in.submit("/mailings/new/", form_data(owner, sender=sender.pk, language="en"))

    assert response.status_code == 302
    mailing = Mailing.objects.get()
    assert (mailing.sender, mailing.language) == (sender, "en")
    page = signed_in.get(mailing.get_absolute_url()).content.decode()
    assert "news@shop.test" in page


@pytest.mark.parametrize("whose", ["stranger", "unconfirmed"])
def test_a_forged_sender_is_refused(signed_in, owner, whose):
    sender = (
        SenderFactory(confirmed_at=timezone.now())
        if whose == "stranger"
        else SenderFactory(owner=owner)
    )

    response = signed_in.submit("/mailings/new/", form_data(owner, sender=sender.pk))

    assert response.status_code == 200
    assert "sender" in response.context["form"].errors
    assert not Mailing.objects.exists()


def test_without_a_language_in_the_post_the_default_is_kept(signed_in, owner):
    signed_in.submit("/mailings/new/", form_data(owner))

    assert Mailing.objects.get().language == "ru"
