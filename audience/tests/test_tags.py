"""/tags/: a user's tags with their client counts, renamed (segments follow the new
name) and deleted after a confirmation; strangers get 404, managers read only."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory, manager
from audience.forms import TagForm
from audience.models import Segment, Tag
from audience.tests.factories import TagFactory
from mailings.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_the_tags_page_counts_each_tags_clients_and_shows_only_ones_own(signed_in, owner):
    vip = TagFactory(owner=owner, name="vip")
    vip.clients.set(ClientFactory.create_batch(3, owner=owner))
    TagFactory(owner=owner, name="опт")
    TagFactory(name="чужая метка")

    response = signed_in.get("/tags/")

    assert response.status_code == 200
    counts = {tag.name: tag.client_count for tag in response.context["object_list"]}
    assert counts == {"vip": 3, "опт": 0}
    page = response.content.decode()
    assert "чужая метка" not in page
    assert f'href="/clients/?tag={vip.pk}"' in page  # a count leads to those clients
    by_count = signed_in.get("/tags/", {"sort": "-clients"}).context["object_list"]
    assert [tag.name for tag in by_count] == ["vip", "опт"]


def test_a_tag_is_created_renamed_and_its_segments_follow(signed_in, owner):
    assert signed_in.submit("/tags/new/", {"name": "  Постоянные   клиенты "}).status_code == 302
    tag = Tag.objects.get(owner=owner)
    assert tag.name == "Постоянные клиенты"
    client = ClientFactory(owner=owner)
    tag.clients.add(client)
    segment = Segment.objects.create(
        owner=owner,
        name="Свои",
        rules=[
            {"field": "tag", "op": "has", "value": "постоянные КЛИЕНТЫ"},
            {"field": "email", "op": "contains", "value": "Постоянные клиенты"},
        ],
    )
    edit = signed_in.get(f"/tags/{tag.pk}/edit/")
    assert "Свои" in edit.content.decode()

    response = signed_in.submit(f"/tags/{tag.pk}/edit/", {"name": "Лояльные"})

    assert response.status_code == 302 and response["Location"] == "/tags/"
    tag.refresh_from_db()
    segment.refresh_from_db()
    assert tag.name == "Лояльные"
    assert list(tag.clients.all()) == [client]
    assert segment.rules == [
        {"field": "tag", "op": "has", "value": "Лояльные"},
        # Only rules on the tag are its: a text that happens to match stays.
        {"field": "email", "op": "contains", "value": "Постоянные клиенты"},
    ]


def test_a_rename_may_change_case_but_not_take_another_tags_name(signed_in, owner):
    tag = TagFactory(owner=owner, name="vip")
    TagFactory(owner=owner, name="Опт")
    taken = signed_in.submit(f"/tags/{tag.pk}/edit/", {"name": "оПТ"})
    assert taken.status_code == 200
    assert taken.context["form"].errors["name"] == ["У вас уже есть метка с таким названием."]
    assert signed_in.submit(f"/tags/{tag.pk}/edit/", {"name": "VIP"}).status_code == 302
    tag.refresh_from_db()
    assert tag.name == "VIP"


def test_deleting_a_tag_asks_first_and_names_the_segments_it_breaks(signed_in, owner):
    tag = TagFactory(owner=owner, name="vip")
    client = ClientFactory(owner=owner)
    tag.clients.add(client)
    Segment.objects.create(
        owner=owner, name="Важные", rules=[{"field": "tag", "op": "has", "value": "VIP"}]
    )
    question = signed_in.get(f"/tags/{tag.pk}/delete/")
    page = question.content.decode()
    assert question.status_code == 200
    assert "Важные" in page and "1 клиент" in page
    assert Tag.objects.filter(pk=tag.pk).exists()

    response = signed_in.submit(f"/tags/{tag.pk}/delete/")

    assert response.status_code == 302 and response["Location"] == "/tags/"
    assert not Tag.objects.filter(pk=tag.pk).exists()
    client.refresh_from_db()  # the client stays, without the tag
    assert not client.tags.exists()


def test_another_users_tag_is_404(signed_in):
    theirs = TagFactory(owner=UserFactory(), name="чужая")
    for path in ("edit", "delete"):
        assert signed_in.get(f"/tags/{theirs.pk}/{path}/").status_code == 404
        assert signed_in.submit(f"/tags/{theirs.pk}/{path}/", {"name": "моя"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "чужая"


def test_a_manager_sees_every_tag_and_changes_none(csrf_client):
    tag = TagFactory(name="vip")
    csrf_client.force_login(manager())
    listed = csrf_client.get("/tags/")
    assert [row.pk for row in listed.context["object_list"]] == [tag.pk]
    page = listed.content.decode()
    assert tag.owner.email in page
    assert "/tags/new/" not in page and f"/tags/{tag.pk}/edit/" not in page
    assert csrf_client.get("/tags/new/").status_code == 403
    for path in ("edit", "delete"):
        assert csrf_client.get(f"/tags/{tag.pk}/{path}/").status_code == 403
        response = csrf_client.submit(f"/tags/{tag.pk}/{path}/", {"name": "x"}, form_url="/tags/")
        assert response.status_code == 403
    tag.refresh_from_db()
    assert tag.name == "vip"


@given(name=st.text(max_size=80))
def test_the_tag_form_answers_any_name_with_a_tag_or_an_error(name):
    owner = UserFactory()
    tag = TagFactory(owner=owner, name="старое")
    form = TagForm({"name": name}, instance=tag, owner=owner)
    if form.is_valid():
        form.save()
        tag.refresh_from_db()
        assert tag.name == " ".join(name.split()) and 0 < len(tag.name) <= 64
    else:
        assert form.errors["name"]
