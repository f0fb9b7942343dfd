"""Bulk actions on every client a search matches: a fixed number of SQL statements
however many match, and never a client who left a list put back."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import manager
from audience.models import Client, ConsentRecord, Membership, Tag
from audience.tests.factories import MailingListFactory, MembershipFactory, TagFactory

pytestmark = pytest.mark.django_db


def add_clients(owner, count: int, prefix: str = "shop") -> None:
    start = Client.objects.count()
    Client.objects.bulk_create(
        Client(owner=owner, email=f"{prefix}{start + n}@example.org", full_name=f"Покупатель {n}")
        for n in range(count)
    )


def bulk(browser, **data):
    return browser.submit("/clients/bulk/", data, form_url="/clients/")


def test_add_to_list_covers_every_match_and_skips_who_left(signed_in, owner):
    add_clients(owner, 30)
    add_clients(owner, 5, prefix="other")
    news = MailingListFactory(owner=owner)
    already = Client.objects.get(email="shop0@example.org")
    MembershipFactory(mailing_list=news, client=already, status="pending")
    gone = Client.objects.get(email="shop1@example.org")
    MembershipFactory(mailing_list=news, client=gone, status="unsubscribed")

    response = bulk(signed_in, q="shop", action="add_to_list", target_list=news.pk)
    assert response.status_code == 302
    assert response["Location"] == "/clients/?q=shop"
    statuses = dict(news.memberships.values_list("client__email", "status"))
    assert len(statuses) == 30
    assert statuses["shop0@example.org"] == "pending"
    assert statuses["shop1@example.org"] == "unsubscribed"
    assert {statuses[f"shop{n}@example.org"] for n in range(2, 30)} == {"subscribed"}
    consents = ConsentRecord.objects.filter(mailing_list=news)
    assert consents.count() == 28
    assert set(consents.values_list("source", flat=True)) == {ConsentRecord.Source.MANUAL}
    assert not consents.filter(client__in=[already, gone]).exists()
    text = [str(m) for m in signed_in.get(response["Location"]).context["messages"]]
    assert "28" in text[0] and "1" in text[0]

    response = bulk(signed_in, q="shop", action="remove_from_list", target_list=news.pk)
    # Who left keeps the row that says so.
    assert dict(news.memberships.values_list("client__email", "status")) == {
        "shop1@example.org": "unsubscribed"
    }


def test_tags_are_added_created_and_removed_for_a_filtered_set(signed_in, owner):
    add_clients(owner, 6)
    news = MailingListFactory(owner=owner)
    for client in Client.objects.filter(email__in=["shop0@example.org", "shop1@example.org"]):
        MembershipFactory(mailing_list=news, client=client)
    bulk(signed_in, list=news.pk, action="add_tag", tag_name="  Купил   в 2026 ")
    tag = Tag.objects.get(owner=owner)
    assert tag.name == "Купил в 2026"
    assert set(tag.clients.values_list("email", flat=True)) == {
        "shop0@example.org",
        "shop1@example.org",
    }
    bulk(signed_in, q="shop", action="add_tag", tag_name="купил в 2026")
    assert tag.clients.count() == 6 and Tag.objects.count() == 1
    bulk(signed_in, tag=tag.pk, q="shop0", action="remove_tag", tag_name="КУПИЛ В 2026")
    assert tag.clients.count() == 5


@pytest.mark.parametrize(
    ("action", "target"),
    [
        ("add_to_list", "list"),
        ("remove_from_list", "list"),
        ("add_tag", "tag"),
        ("remove_tag", "tag"),
    ],
)
def test_a_bulk_action_costs_the_same_queries_for_5_or_200_clients(
    signed_in, owner, action, target
):
    news = MailingListFactory(owner=owner)
    TagFactory(owner=owner, name="vip")
    data = {"q": "shop", "action": action, "target_list": news.pk, "tag_name": "vip"}

    def queries() -> int:
        signed_in.get("/clients/")  # the CSRF cookie, outside the count
        token = signed_in.cookies["csrftoken"].value
        with CaptureQueriesContext(connection) as captured:
            response = signed_in.post("/clients/bulk/", {**data, "csrfmiddlewaretoken": token})
            assert response.status_code == 302
        return len(captured)

    add_clients(owner, 5)
    queries()  # warm up: per-session caches
    few = queries()
    add_clients(owner, 195)
    many = queries()
    assert many == few
    # Session, user, overseer check, the form's choice, the count and the writes.
    assert many <= 10
    if action == "add_to_list":
        assert news.memberships.count() == 200


def test_without_a_search_or_filter_nothing_happens(signed_in, owner):
    add_clients(owner, 3)
    news = MailingListFactory(owner=owner)
    response = bulk(signed_in, action="add_to_list", target_list=news.pk)
    assert response.status_code == 302
    assert not Membership.objects.exists()


def test_another_users_list_is_no_choice_and_their_clients_never_match(signed_in, owner):
    add_clients(owner, 2)
    stranger_list = MailingListFactory()
    add_clients(stranger_list.owner, 2)
    bulk(signed_in, q="shop", action="add_to_list", target_list=stranger_list.pk)
    assert not Membership.objects.exists()
    mine = MailingListFactory(owner=owner)
    bulk(signed_in, q="shop", action="add_to_list", target_list=mine.pk)
    assert set(mine.members.values_list("owner", flat=True)) == {owner.pk}
    assert mine.members.count() == 2


def test_a_manager_gets_403(csrf_client):
    csrf_client.force_login(manager())
    news = MailingListFactory()
    response = bulk(csrf_client, q="shop", action="add_to_list", target_list=news.pk)
    assert response.status_code == 403


@pytest.mark.parametrize("action", ["add_to_list", "add_tag", "remove_from_list", "remove_tag"])
def test_a_filter_naming_another_users_list_or_tag_matches_nobody(signed_in, owner, action):
    # Found by the hostile-input suite: a filter that can match nothing was a 500.
    add_clients(owner, 2)
    mine = MailingListFactory(owner=owner)
    TagFactory(owner=owner, name="vip")
    for hidden in ({"list": MailingListFactory().pk}, {"tag": TagFactory().pk}):
        response = bulk(signed_in, **hidden, action=action, target_list=mine.pk, tag_name="vip")
        assert response.status_code == 302
    assert not mine.members.exists()
    assert not Tag.objects.get(owner=owner).clients.exists()
