"""Lists, their members, tags, segments and a mailing's targets through the API: the
web's services and forms underneath, the web's words in the errors."""

import pytest
from django.conf import settings

from api.tests.conftest import bearer
from audience.models import ConsentRecord, MailingList, Membership, Segment, Tag
from audience.tests.factories import MembershipFactory, TagFactory
from content.models import Message
from mailings.models import Mailing
from mailings.tests.factories import ClientFactory, MailingFactory

pytestmark = pytest.mark.django_db


def test_a_new_list_shows_its_counts_and_form_but_not_its_token(world, owner_api):
    response = owner_api.post("/api/v1/lists/", {"name": "Новости магазина"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    created = MailingList.objects.get(pk=body["id"])
    assert "token" not in body
    assert body["subscribe_url"] == f"{settings.SITE_URL}/subscribe/{created.token}/"
    # The model's defaults, not an unticked box's False.
    assert (body["double_opt_in"], body["language"], body["captcha"]) == (True, "ru", False)
    assert (body["subscribed_count"], body["pending_count"], body["left_count"]) == (0, 0, 0)


def test_a_list_name_is_taken_in_any_case_with_the_web_forms_words(world, owner_api):
    owner_api.post("/api/v1/lists/", {"name": "Новости"}, format="json")
    response = owner_api.post(
        "/api/v1/lists/", {"name": "НОВОСТИ"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["You already have a list with this name."]}


def test_members_are_added_once_and_a_client_who_left_is_not_put_back(world, owner_api):
    mailing_list = MailingList.objects.get(pk=world["list"])
    newcomer = ClientFactory(owner=world["owner"])
    left = MembershipFactory(
        mailing_list=mailing_list, status=Membership.Status.UNSUBSCRIBED
    ).client
    url = f"/api/v1/lists/{mailing_list.pk}/members/"
    ids = [world["client"], newcomer.pk, left.pk]

    response = owner_api.post(url, {"clients": ids}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {"added": 1, "skipped_left": 1}
    statuses = dict(mailing_list.memberships.values_list("client_id", "status"))
    assert statuses == {
        world["client"]: "subscribed",
        newcomer.pk: "subscribed",
        left.pk: "unsubscribed",
    }
    assert ConsentRecord.objects.filter(client=newcomer, source="manual").count() == 1
    detail = owner_api.get(f"/api/v1/lists/{mailing_list.pk}/").json()
    assert (detail["subscribed_count"], detail["left_count"]) == (2, 1)

    removed = owner_api.post(f"{url}remove/", {"clients": ids}, format="json")
    assert removed.json() == {"removed": 2}
    assert list(mailing_list.memberships.values_list("client_id", "status")) == [
        (left.pk, "unsubscribed")
    ]


@pytest.mark.parametrize("action", ["members/", "members/remove/"])
@pytest.mark.parametrize(
    "ids", [["stranger_client"], ["client", "stranger_client"], [2**70], [], "one"]
)
def test_another_users_clients_on_a_list_are_a_field_error(world, owner_api, action, ids):
    newcomer = ClientFactory(owner=world["owner"])
    clients = [world.get(name, name) for name in ids] if isinstance(ids, list) else ids
    if isinstance(clients, list) and clients:
        clients.append(newcomer.pk)
    before = (Membership.objects.count(), ConsentRecord.objects.count())
    response = owner_api.post(
        f"/api/v1/lists/{world['list']}/{action}", {"clients": clients}, format="json"
    )
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["clients"]
    assert (Membership.objects.count(), ConsentRecord.objects.count()) == before


def test_tags_are_unique_per_owner_in_any_case(world, owner_api):
    created = owner_api.post("/api/v1/tags/", {"name": "  Купил   в 2026 "}, format="json")
    assert created.status_code == 201 and created.json()["name"] == "Купил в 2026"
    again = owner_api.post(
        "/api/v1/tags/", {"name": "КУПИЛ в 2026"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert again.status_code == 400
    assert again.json()["errors"] == {"name": ["You already have a tag with this name."]}
    # Another owner may have the same name.
    theirs = bearer(world["tokens"]["other user"]).post(
        "/api/v1/tags/", {"name": "купил в 2026"}, format="json"
    )
    assert theirs.status_code == 201
    assert owner_api.delete(f"/api/v1/tags/{created.json()['id']}/").status_code == 204
    assert not Tag.objects.filter(pk=created.json()["id"]).exists()


@pytest.mark.parametrize("caller", ["owner", "other user", "manager"])
def test_clients_filter_by_list_and_tag_and_an_unseen_id_matches_nobody(world, caller):
    api = bearer(world["tokens"][caller])
    tagged_only = ClientFactory(owner=world["owner"])
    Tag.objects.get(pk=world["tag"]).clients.add(tagged_only)

    def ids(query: str) -> set[int]:
        response = api.get(f"/api/v1/clients/?{query}")
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    sees = caller != "other user"
    assert ids(f"list={world['list']}") == ({world["client"]} if sees else set())
    assert ids(f"tag={world['tag']}") == ({world["client"], tagged_only.pk} if sees else set())
    assert ids(f"list={world['list']}&tag={world['tag']}") == ({world["client"]} if sees else set())
    assert ids("list=999999999") == set()
    assert api.get("/api/v1/clients/?tag=vip").status_code == 400


def test_a_segment_is_checked_by_the_rules_compiler_naming_the_rule(world, owner_api):
    rules = [
        {"field": "email", "op": "contains", "value": "example"},
        {"field": "tag", "op": "has", "value": "нет такой"},
    ]
    response = owner_api.post(
        "/api/v1/segments/", {"name": "S", "rules": rules}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"rules": {"1": ["You have no tag named “нет такой”."]}}
    empty = owner_api.post("/api/v1/segments/", {"name": "S", "rules": []}, format="json")
    assert empty.status_code == 400 and "rules" in empty.json()["errors"]
    assert not Segment.objects.filter(name="S").exists()


def test_a_segment_counts_its_matches_on_its_own_page_only(world, owner_api):
    tag = Tag.objects.get(pk=world["tag"])
    rules = [{"field": "tag", "op": "has", "value": tag.name.upper()}]
    created = owner_api.post(
        "/api/v1/segments/", {"name": "Тег", "match": "any", "rules": rules}, format="json"
    )
    assert created.status_code == 201, created.content
    segment = Segment.objects.get(pk=created.json()["id"])
    assert (segment.match, segment.rules) == ("any", [{**rules[0]}])
    assert owner_api.get(f"/api/v1/segments/{segment.pk}/").json()["count"] == 1
    assert all("count" not in row for row in owner_api.get("/api/v1/segments/").json()["results"])
    renamed = owner_api.patch(f"/api/v1/segments/{segment.pk}/", {"name": "Ещё"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["rules"] == rules


def test_a_segment_a_mailing_uses_cannot_be_deleted(world, owner_api):
    MailingFactory(owner=world["owner"], segment_id=world["segment"])
    response = owner_api.delete(f"/api/v1/segments/{world['segment']}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert "used by mailings" in response.json()["detail"]
    assert Segment.objects.filter(pk=world["segment"]).exists()


def test_a_message_a_mailing_uses_cannot_be_deleted_and_the_answer_is_in_the_asked_language(
    world, owner_api
):
    # The world's mailing uses the world's message.
    response = owner_api.delete(f"/api/v1/messages/{world['message']}/", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 409
    assert "используется в рассылках" in response.json()["detail"]
    english = owner_api.delete(f"/api/v1/messages/{world['message']}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "is used by mailings" in english.json()["detail"]
    assert Message.objects.filter(pk=world["message"]).exists()


def mailing_with(world, **targets):
    return {
        "message": world["message"],
        "start_at": "2031-06-01T09:00:00Z",
        "periodicity": "once",
        **targets,
    }


def test_a_mailing_targets_lists_a_segment_or_all_clients(world, owner_api):
    body = mailing_with(world, lists=[world["list"]], segment=world["segment"])
    response = owner_api.post("/api/v1/mailings/", body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["lists"], created["segment"], created["clients"]) == (
        [world["list"]],
        world["segment"],
        [],
    )
    everyone = owner_api.post(
        "/api/v1/mailings/", mailing_with(world, all_clients=True), format="json"
    )
    assert everyone.status_code == 201 and everyone.json()["all_clients"] is True
    # A PATCH of something else keeps "all my clients".
    patched = owner_api.patch(
        f"/api/v1/mailings/{everyone.json()['id']}/", {"name": "Все"}, format="json"
    )
    assert patched.status_code == 200, patched.content
    assert Mailing.objects.get(pk=everyone.json()["id"]).all_clients is True
    assert patched.json()["all_clients"] is True


@pytest.mark.parametrize(
    "targets, field",
    [
        ({"lists": ["stranger_list"]}, "lists"),
        ({"lists": ["list", "stranger_list"]}, "lists"),
        ({"segment": "stranger_segment"}, "segment"),
        ({"lists": [], "segment": None}, "clients"),  # nobody at all
    ],
)
def test_another_users_list_or_segment_is_a_field_error(world, owner_api, targets, field):
    filled = {
        name: [world[v] for v in value] if isinstance(value, list) else world.get(value, value)
        for name, value in targets.items()
    }
    before = Mailing.objects.count()
    response = owner_api.post("/api/v1/mailings/", mailing_with(world, **filled), format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]
    assert Mailing.objects.count() == before


def test_an_empty_tag_name_is_refused(world, owner_api):
    TagFactory(owner=world["owner"], name="vip")
    response = owner_api.post("/api/v1/tags/", {"name": "   "}, format="json")
    assert response.status_code == 400 and "name" in response.json()["errors"]
