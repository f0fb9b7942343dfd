"""Who a run goes to: chosen clients, list members, segment matches or everyone —
active clients of the owner only, each once, decided when the run is claimed. Runs on
the suite's database (SQLite here, PostgreSQL in the CI's PostgreSQL run)."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from audience.models import Client, MailingList, Membership, Segment, Tag
from mailings.models import Mailing
from mailings.recipients import recipients_of
from mailings.tests.factories import ClientFactory, DueMailingFactory
from sending.claims import SEGMENT_INVALID, run_claim
from sending.models import Attempt, Delivery

pytestmark = pytest.mark.django_db


def due(mailing: Mailing) -> Mailing:
    mailing.next_run_at = timezone.now()
    mailing.status = Mailing.Status.RUNNING
    mailing.save()
    return mailing


def claim(mailing: Mailing) -> Attempt:
    attempt = run_claim(mailing=Mailing.objects.get(pk=mailing.pk), now=timezone.now())
    assert attempt is not None
    return attempt


def delivered_to(attempt: Attempt) -> list[int]:
    return sorted(Delivery.objects.filter(attempt=attempt).values_list("client_id", flat=True))


def on_list(client: Client, mailing_list: MailingList, status=Membership.Status.SUBSCRIBED):
    return Membership.objects.create(client=client, mailing_list=mailing_list, status=status)


def test_a_client_on_two_lists_and_chosen_gets_one_delivery():
    owner = UserFactory()
    both = ClientFactory(owner=owner)
    only_listed = ClientFactory(owner=owner)
    newsletter = MailingList.objects.create(owner=owner, name="Новости")
    offers = MailingList.objects.create(owner=owner, name="Акции")
    on_list(both, newsletter)
    on_list(both, offers)
    on_list(only_listed, offers)
    mailing = DueMailingFactory(owner=owner, clients=[both])
    mailing.lists.set([newsletter, offers])

    attempt = claim(due(mailing))
    assert delivered_to(attempt) == sorted([both.pk, only_listed.pk])
    assert attempt.total_count == 2


def test_pending_unsubscribed_and_bounced_never_receive():
    owner = UserFactory()
    newsletter = MailingList.objects.create(owner=owner, name="Новости")
    active = ClientFactory(owner=owner)
    never = [
        ClientFactory(owner=owner, status=Client.Status.PENDING),
        ClientFactory(owner=owner, status=Client.Status.UNSUBSCRIBED),
        ClientFactory(owner=owner, status=Client.Status.BOUNCED),
        ClientFactory(owner=owner, status=Client.Status.COMPLAINED),
    ]
    for client in [active, *never]:
        on_list(client, newsletter)
    waiting = ClientFactory(owner=owner)  # active, but has not confirmed its membership
    on_list(waiting, newsletter, Membership.Status.PENDING)
    left = ClientFactory(owner=owner)
    on_list(left, newsletter, Membership.Status.UNSUBSCRIBED)
    segment = Segment.objects.create(
        owner=owner, name="Все", rules=[{"field": "email", "op": "contains", "value": "@"}]
    )
    mailing = DueMailingFactory(owner=owner, clients=never, segment=None)
    mailing.lists.set([newsletter])
    assert list(recipients_of(mailing)) == [active]

    mailing.segment = segment
    mailing.save()
    assert set(recipients_of(mailing)) == {active, waiting, left}
    mailing.all_clients = True
    mailing.save()
    assert set(recipients_of(mailing)) == {active, waiting, left}


def test_all_clients_means_the_owners_active_clients_only():
    owner = UserFactory()
    mine = ClientFactory.create_batch(3, owner=owner)
    ClientFactory(owner=owner, status=Client.Status.BOUNCED)
    ClientFactory()  # someone else's
    mailing = DueMailingFactory(owner=owner, all_clients=True)
    assert delivered_to(claim(due(mailing))) == sorted(c.pk for c in mine)


def test_a_client_who_matches_later_gets_later_runs():
    owner = UserFactory()
    vip = Tag.objects.create(owner=owner, name="vip")
    early = ClientFactory(owner=owner)
    vip.clients.add(early)
    late = ClientFactory(owner=owner)
    segment = Segment.objects.create(
        owner=owner, name="VIP", rules=[{"field": "tag", "op": "has", "value": "VIP"}]
    )
    mailing = DueMailingFactory(
        owner=owner,
        segment=segment,
        periodicity=Mailing.Periodicity.DAILY,
        end_at=timezone.now() + dt.timedelta(days=7),
    )
    first = claim(due(mailing))
    assert delivered_to(first) == [early.pk]
    Attempt.objects.filter(pk=first.pk).update(status=Attempt.Status.SUCCESS)

    vip.clients.add(late)
    second = claim(due(mailing))
    assert delivered_to(second) == sorted([early.pk, late.pk])


def test_another_owners_clients_never_come_in_through_a_list_or_a_choice():
    owner, stranger = UserFactory(), UserFactory()
    theirs = ClientFactory(owner=stranger)
    their_list = MailingList.objects.create(owner=stranger, name="Чужой")
    on_list(theirs, their_list)
    mailing = DueMailingFactory(owner=owner, clients=[theirs])
    mailing.lists.set([their_list])
    assert list(recipients_of(mailing)) == []
    assert claim(due(mailing)).total_count == 0


def test_a_mailing_without_targets_claims_an_empty_run():
    mailing = DueMailingFactory(owner=UserFactory())
    attempt = claim(due(mailing))
    assert attempt.total_count == 0
    assert not Delivery.objects.filter(attempt=attempt).exists()


def test_a_segment_that_became_invalid_ends_the_run_with_its_reason():
    owner = UserFactory()
    gone = Tag.objects.create(owner=owner, name="лето")
    client = ClientFactory(owner=owner)
    gone.clients.add(client)
    segment = Segment.objects.create(
        owner=owner, name="Летние", rules=[{"field": "tag", "op": "has", "value": "лето"}]
    )
    mailing = DueMailingFactory(owner=owner, segment=segment, clients=[client])
    gone.delete()

    attempt = claim(due(mailing))
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.FAILURE
    assert attempt.finished_at is not None
    assert attempt.server_response.startswith(SEGMENT_INVALID.split("(")[0])
    assert "лето" in attempt.server_response
    assert not Delivery.objects.filter(attempt=attempt).exists()
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.COMPLETED
