"""The public form against abuse: sub-addresses count as their mailbox, a blocked
owner's forms are gone, and the answer never tells who is on the list."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client as HttpClient

from accounts.tests.factories import UserFactory
from audience.models import Client
from mailings.tests.factories import ClientFactory

from .signup import list_of

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2030, 1, 1, 12, 10, tzinfo=dt.UTC)


def sign_up(mailing_list, email, ip="203.0.113.5"):
    return HttpClient(REMOTE_ADDR=ip).post(
        f"/subscribe/{mailing_list.token}/", {"email": email, "full_name": ""}
    )


@time_machine.travel(NOON, tick=False)
def test_plus_addresses_count_toward_their_mailboxs_limit(settings):
    settings.SUBSCRIBE_ADDRESS_LIMIT = 2
    settings.SUBSCRIBE_RESEND_WINDOW = 0
    mailing_list = list_of()
    answers = [
        sign_up(mailing_list, f"victim+{n}@example.org", ip=f"198.51.100.{n}").status_code
        for n in range(5)
    ]
    assert answers == [200, 200, 429, 429, 429]
    assert len(mail.outbox) == 2


@pytest.mark.parametrize("path", ["", "challenge/"])
def test_a_blocked_owners_form_is_gone(path):
    mailing_list = list_of(captcha=True)
    url = f"/subscribe/{mailing_list.token}/{path}"
    assert HttpClient().get(url).status_code == 200
    UserFactory._meta.model.objects.filter(pk=mailing_list.owner_id).update(is_active=False)
    assert HttpClient().get(url).status_code == 404
    assert sign_up(mailing_list, "anna@example.org").status_code == 404
    assert not Client.objects.exists()
    assert mail.outbox == []


def answer(response) -> str:
    """The visible answer, without the address typed (which it repeats)."""
    main = response.content.decode().split("<main", 1)[1]
    return re.sub(r"\S+@example\.org", "ADDRESS", main)


@pytest.mark.parametrize("double_opt_in", [True, False])
def test_the_answer_is_the_same_for_a_new_and_every_kind_of_known_address(double_opt_in):
    mailing_list = list_of(double_opt_in=double_opt_in)
    owner = mailing_list.owner
    ClientFactory(owner=owner, email="unsubscribed@example.org", unsubscribed_at=NOON)
    ClientFactory(owner=owner, email="active@example.org")
    sign_up(mailing_list, "member@example.org")
    sign_up(mailing_list, "waiting@example.org")
    if not double_opt_in:
        Client.objects.filter(email="waiting@example.org").update(status=Client.Status.PENDING)

    new = sign_up(mailing_list, "new@example.org")
    for known in ["member", "waiting", "unsubscribed", "active"]:
        response = sign_up(mailing_list, f"{known}@example.org")
        assert response.status_code == new.status_code == 200
        assert answer(response) == answer(new), known
