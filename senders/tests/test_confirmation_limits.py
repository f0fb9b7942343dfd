"""A sender's confirmation email goes to an address nobody has proved: pressing "Resend
confirmation" cannot turn it into a mail bomb (the issue: 20 presses, 21 emails)."""

import datetime as dt

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from sending.models import QueuedEmail

from .factories import SenderFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

# Mid-hour: the limits count in windows aligned to the clock.
NOON = dt.datetime(2030, 1, 1, 12, 10, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _queued_mail(settings):
    settings.EMAIL_BACKEND = "sending.mail_queue.QueuedEmailBackend"


def login(client, user):
    # Inside the travelled time: a session begun in the real present expires in 2030.
    client.force_login(user)
    return client


def resend(client, sender):
    return client.submit(
        f"/senders/{sender.pk}/confirm/", {}, form_url=f"/senders/{sender.pk}/", follow=True
    )


@time_machine.travel(NOON, tick=False)
@pytest.mark.slow
def test_at_most_five_confirmations_an_hour_reach_one_address(csrf_client, owner):
    signed_in = login(csrf_client, owner)
    sender = SenderFactory(owner=owner, email="victim@example.org", confirmed_at=None)
    pages = [resend(signed_in, sender) for _ in range(20)]
    assert QueuedEmail.objects.filter(recipient="victim@example.org").count() == 5
    assert "We sent a confirmation link" in pages[4].content.decode()
    assert "Enough confirmation emails went to victim@example.org" in pages[5].content.decode()
    assert {page.status_code for page in pages} == {200}


@time_machine.travel(NOON, tick=False)
def test_sub_addresses_and_other_accounts_share_the_mailboxs_limit(csrf_client, settings):
    settings.SENDER_CONFIRM_ADDRESS_LIMIT = 2
    addresses = ["Victim+a@example.org", "victim+b@example.org", "VICTIM@example.org"]
    for address in [*addresses, "victim@example.net"]:
        user = UserFactory()
        csrf_client.force_login(user)
        resend(csrf_client, SenderFactory(owner=user, email=address, confirmed_at=None))
    sent = list(QueuedEmail.objects.values_list("recipient", flat=True))
    assert sorted(sent) == sorted([*addresses[:2], "victim@example.net"])


def test_the_limit_is_per_hour(csrf_client, owner, settings):
    settings.SENDER_CONFIRM_ADDRESS_LIMIT = 1
    sender = SenderFactory(owner=owner, email="victim@example.org", confirmed_at=None)
    with time_machine.travel(NOON, tick=False) as traveller:
        signed_in = login(csrf_client, owner)
        resend(signed_in, sender)
        resend(signed_in, sender)
        assert QueuedEmail.objects.count() == 1
        traveller.shift(dt.timedelta(hours=1))
        resend(signed_in, sender)
        assert QueuedEmail.objects.count() == 2


@time_machine.travel(NOON, tick=False)
def test_one_account_cannot_spray_many_addresses(csrf_client, owner, settings):
    signed_in = login(csrf_client, owner)
    settings.SENDER_CONFIRM_ACCOUNT_LIMIT = 3
    for n in range(5):
        signed_in.submit(
            "/senders/new/",
            {"name": "Shop", "reply_to": "", "postal_address": "", "email": f"p{n}@example.org"},
        )
    assert QueuedEmail.objects.count() == 3
