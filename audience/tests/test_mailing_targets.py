"""A mailing's targets on its form: chosen clients (found by a search, never listed),
lists, a segment or everyone, with the recipient count shown before saving."""

import pytest

from accounts.tests.factories import UserFactory
from audience.models import Client, MailingList, Membership, Segment
from mailings.models import Mailing
from mailings.recipients import recipients_of
from mailings.tests.factories import ClientFactory, MessageFactory
from mailings.tests.test_mailings import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def test_a_mailing_to_a_list_and_a_segment(signed_in, owner):
    message = MessageFactory(owner=owner)
    listed, matched, chosen = ClientFactory.create_batch(3, owner=owner)
    news = MailingList.objects.create(owner=owner, name="Новости")
    Membership.objects.create(client=listed, mailing_list=news)
    segment = Segment.objects.create(
        owner=owner, name="M", rules=[{"field": "email", "op": "equals", "value": matched.email}]
    )
    data = form_data(message, [chosen], lists=[news.pk], segment=segment.pk)
    response = signed_in.submit("/mailings/new/", data)
    assert response.status_code == 302
    mailing = Mailing.objects.get()
    assert list(mailing.lists.all()) == [news] and mailing.segment == segment
    assert set(recipients_of(mailing)) == {listed, matched, chosen}
    detail = signed_in.get(response["Location"])
    assert detail.context["recipients"]["subscribed"] == 3


def test_a_mailing_needs_some_target(signed_in, owner):
    response = signed_in.submit("/mailings/new/", form_data(MessageFactory(owner=owner), []))
    assert response.status_code == 200
    assert "Choose who receives it" in str(response.context["form"].errors["clients"])


def test_another_owners_list_or_segment_is_not_a_choice(signed_in, owner):
    stranger = UserFactory()
    their_list = MailingList.objects.create(owner=stranger, name="Чужой")
    their_segment = Segment.objects.create(owner=stranger, name="Чужой", rules=[])
    message = MessageFactory(owner=owner)
    for extra in ({"lists": [their_list.pk]}, {"segment": their_segment.pk}):
        response = signed_in.submit("/mailings/new/", form_data(message, [], **extra))
        assert response.status_code == 200
        assert set(extra) <= set(response.context["form"].errors)
    assert not Mailing.objects.exists()


def test_a_segment_whose_rules_broke_is_refused_on_the_form(signed_in, owner):
    broken = Segment.objects.create(
        owner=owner, name="B", rules=[{"field": "tag", "op": "has", "value": "удалён"}]
    )
    data = form_data(MessageFactory(owner=owner), [], segment=broken.pk)
    response = signed_in.submit("/mailings/new/", data)
    assert "no tag" in str(response.context["form"].errors["segment"])


def test_the_client_search_finds_up_to_twenty_of_your_own(signed_in, owner):
    Client.objects.bulk_create(
        Client(owner=owner, email=f"anna{n}@example.org", full_name=f"Анна {n}") for n in range(30)
    )
    ClientFactory(owner=owner, email="boris@example.org", full_name="Борис")
    ClientFactory(email="anna.stranger@example.org", full_name="Анна Чужая")
    results = signed_in.get("/clients/search/", {"q": "анна"}).json()["results"]
    assert len(results) == 20
    assert all("stranger" not in found["label"] for found in results)
    (boris,) = signed_in.get("/clients/search/", {"q": "BORIS"}).json()["results"]
    assert boris["label"] == "Борис <boris@example.org>"
    assert signed_in.get("/clients/search/", {"q": ""}).json() == {"results": []}
    assert signed_in.get("/clients/search/", {"q": "\x00" * 300}).status_code == 200


def test_the_count_before_saving(signed_in, owner):
    active = ClientFactory.create_batch(2, owner=owner)
    ClientFactory(owner=owner, status=Client.Status.BOUNCED)
    news = MailingList.objects.create(owner=owner, name="Новости")
    Membership.objects.create(client=active[0], mailing_list=news)
    ClientFactory()  # someone else's

    def count(**query):
        return signed_in.get("/mailings/recipients/", query).json()

    assert count(all_subscribed="on") == {"count": 2}
    assert count(clients=[active[0].pk], lists=[news.pk]) == {"count": 1}
    assert count() == {"count": 0}
    assert "lists" in count(lists=["x"])["errors"]
    assert "clients" in count(clients=[str(2**63)])["errors"]


def test_a_copy_keeps_the_lists_the_segment_and_all(signed_in, owner):
    from mailings.lifecycle import mailing_duplicate
    from mailings.tests.factories import MailingFactory

    news = MailingList.objects.create(owner=owner, name="Новости")
    segment = Segment.objects.create(
        owner=owner, name="S", rules=[{"field": "email", "op": "contains", "value": "@"}]
    )
    original = MailingFactory(owner=owner, segment=segment, all_clients=True)
    original.lists.set([news])
    copy = mailing_duplicate(mailing=original)
    assert (list(copy.lists.all()), copy.segment, copy.all_clients) == ([news], segment, True)


def test_the_mailing_list_says_which_mailings_go_beyond_chosen_clients(signed_in, owner):
    from mailings.tests.factories import MailingFactory

    news = MailingList.objects.create(owner=owner, name="Новости")
    MailingFactory(owner=owner, name="Всем", all_clients=True)
    by_list = MailingFactory(owner=owner, name="Списку", clients=[ClientFactory(owner=owner)])
    by_list.lists.set([news])
    MailingFactory(owner=owner, name="Одному", clients=[ClientFactory(owner=owner)])
    rows = {
        mailing.name: (mailing.all_clients, mailing.recipient_count, mailing.targets_lists)
        for mailing in signed_in.get("/mailings/").context["object_list"]
    }
    assert rows == {
        "Всем": (True, 0, False),
        "Списку": (False, 1, True),
        "Одному": (False, 1, False),
    }
