"""Sign-ups nobody confirmed go after SUBSCRIBE_PENDING_DAYS: the waiting client with
nothing else to it is deleted, other waiting memberships end."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command

from audience.cleanup import unconfirmed_purge
from audience.models import Client, ConsentRecord, Membership, Tag
from audience.subscriptions import SignUp, Visitor, leave, rejoin, subscribe
from audience.tests.factories import MailingListFactory, MembershipFactory
from config.beat import job_key
from feedback.models import FeedbackEvent
from mailings.tests.factories import ClientFactory, DeliveryFactory

pytestmark = pytest.mark.django_db

SIGNED_UP = datetime(2026, 3, 1, 12, tzinfo=UTC)
VISITOR = Visitor(ip_address="203.0.113.9", user_agent="Firefox")


@pytest.fixture
def double_opt_in(owner):
    return MailingListFactory(owner=owner, name="Новости", double_opt_in=True)


def sign_up(mailing_list, email: str) -> Client:
    with time_machine.travel(SIGNED_UP, tick=False):
        outcome = subscribe(mailing_list=mailing_list, email=email, full_name="", visitor=VISITOR)
    assert outcome == SignUp.CONFIRMATION_SENT
    return Client.objects.get(email=email)


def purge_at(moment: datetime) -> str:
    out = StringIO()
    with time_machine.travel(moment, tick=False):
        call_command("purge_unconfirmed", stdout=out)
    return out.getvalue()


def test_an_unconfirmed_client_goes_just_after_the_days_are_over(settings, double_opt_in):
    settings.SUBSCRIBE_PENDING_DAYS = 30
    client = sign_up(double_opt_in, "late@example.org")

    output = purge_at(SIGNED_UP + timedelta(days=30) - timedelta(seconds=1))
    assert Client.objects.filter(pk=client.pk).exists()
    assert "0 clients deleted" in output

    output = purge_at(SIGNED_UP + timedelta(days=30, seconds=1))
    assert not Client.objects.filter(pk=client.pk).exists()
    assert not Membership.objects.exists() and not ConsentRecord.objects.exists()
    assert "1 clients deleted" in output


def test_the_days_are_a_setting(settings, double_opt_in):
    settings.SUBSCRIBE_PENDING_DAYS = 2
    client = sign_up(double_opt_in, "late@example.org")
    with time_machine.travel(SIGNED_UP + timedelta(days=2, seconds=1), tick=False):
        assert unconfirmed_purge().clients_deleted == 1
    assert not Client.objects.filter(pk=client.pk).exists()


def test_an_active_client_keeps_its_lists_and_loses_only_the_waiting_membership(
    owner, double_opt_in
):
    with time_machine.travel(SIGNED_UP - timedelta(days=100), tick=False):
        other = MembershipFactory(mailing_list__owner=owner, client__email="anna@example.org")
    client = other.client
    assert sign_up(double_opt_in, "anna@example.org") == client

    with time_machine.travel(SIGNED_UP + timedelta(days=31), tick=False):
        result = unconfirmed_purge()

    assert (result.clients_deleted, result.memberships_dropped) == (0, 1)
    client.refresh_from_db()
    assert client.status == Client.Status.ACTIVE
    assert list(Membership.objects.filter(client=client)) == [other]


@pytest.mark.parametrize("history", ["delivery", "tag", "mailing", "complaint"])
def test_a_waiting_client_with_history_is_kept_without_its_waiting_membership(
    owner, double_opt_in, history
):
    client = sign_up(double_opt_in, "kept@example.org")
    if history == "delivery":
        DeliveryFactory(attempt__mailing__owner=owner, client=client)
    elif history == "tag":
        Tag.objects.create(owner=owner, name="vip").clients.add(client)
    elif history == "complaint":
        FeedbackEvent.objects.create(
            owner=owner, client=client, email=client.email, kind="complaint", source="arf"
        )
    else:
        DeliveryFactory(attempt__mailing__owner=owner).attempt.mailing.clients.add(client)

    with time_machine.travel(SIGNED_UP + timedelta(days=31), tick=False):
        result = unconfirmed_purge()

    assert (result.clients_deleted, result.memberships_dropped) == (0, 1)
    assert Client.objects.filter(pk=client.pk, status=Client.Status.PENDING).exists()
    assert not Membership.objects.filter(client=client).exists()


def test_an_unanswered_rejoin_goes_back_to_left_so_no_import_brings_it_back(owner, double_opt_in):
    with time_machine.travel(SIGNED_UP - timedelta(days=100), tick=False):
        membership = MembershipFactory(mailing_list=double_opt_in, client__email="back@example.org")
        ConsentRecord.objects.create(
            client=membership.client, mailing_list=double_opt_in, source=ConsentRecord.Source.IMPORT
        )
        leave(membership=membership)
    with time_machine.travel(SIGNED_UP, tick=False):
        assert rejoin(membership=membership, visitor=VISITOR) == SignUp.CONFIRMATION_SENT

    with time_machine.travel(SIGNED_UP + timedelta(days=31), tick=False):
        result = unconfirmed_purge()

    assert (result.memberships_dropped, result.memberships_left) == (0, 1)
    membership.refresh_from_db()
    assert membership.status == Membership.Status.UNSUBSCRIBED


def test_a_recent_sign_up_keeps_a_client_with_an_old_one(owner, double_opt_in):
    client = sign_up(double_opt_in, "twice@example.org")
    later_list = MailingListFactory(owner=owner, name="Акции", double_opt_in=True)
    with time_machine.travel(SIGNED_UP + timedelta(days=20), tick=False):
        subscribe(mailing_list=later_list, email=client.email, full_name="", visitor=VISITOR)

    with time_machine.travel(SIGNED_UP + timedelta(days=31), tick=False):
        result = unconfirmed_purge()

    assert (result.clients_deleted, result.memberships_dropped) == (0, 1)
    assert [m.mailing_list for m in Membership.objects.filter(client=client)] == [later_list]


def test_the_scheduler_beat_purges_once_an_hour(double_opt_in):
    from sending.passes import tick

    first = sign_up(double_opt_in, "first@example.org")
    ClientFactory(owner=double_opt_in.owner, email="active@example.org")
    beat = SIGNED_UP + timedelta(days=31)
    with time_machine.travel(beat, tick=False):
        tick(source="test")
    assert not Client.objects.filter(pk=first.pk).exists()

    # Another sign-up is as old by the next beat, which comes within the hour: kept.
    second = sign_up(double_opt_in, "second@example.org")
    with time_machine.travel(beat + timedelta(seconds=2), tick=False):
        tick(source="test")
    assert Client.objects.filter(pk=second.pk).exists()

    # The cache's key expires with the hour; the first beat after it purges again.
    cache.delete(job_key("unconfirmed-purge"))
    with time_machine.travel(beat + timedelta(hours=1), tick=False):
        tick(source="test")
    assert list(Client.objects.values_list("email", flat=True)) == ["active@example.org"]
