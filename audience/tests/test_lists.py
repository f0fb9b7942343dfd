"""/lists/: a user's lists with their member counts, members a page at a time, and the
client pages showing lists and tags."""

import pytest

from audience.models import MailingList, Membership
from audience.tests.factories import MailingListFactory, MembershipFactory, TagFactory
from mailings.tests.factories import ClientFactory, MailingFactory

pytestmark = pytest.mark.django_db


def test_the_list_page_counts_subscribed_waiting_and_left_members(signed_in, owner):
    news = MailingListFactory(owner=owner, name="Новости")
    for status, count in (("subscribed", 3), ("pending", 2), ("unsubscribed", 1)):
        for _ in range(count):
            MembershipFactory(mailing_list=news, status=status)
    MailingListFactory(name="Чужой список")
    response = signed_in.get("/lists/")
    assert response.status_code == 200
    (row,) = response.context["object_list"]
    assert (row.subscribed_count, row.pending_count, row.left_count) == (3, 2, 1)
    assert "Чужой список" not in response.content.decode()
    assert 'href="/lists/"' in response.content.decode()  # the nav link


def test_a_list_is_created_edited_and_deleted_through_its_forms(signed_in, owner):
    response = signed_in.submit(
        "/lists/new/",
        {"name": "Акции", "description": "Скидки", "double_opt_in": "on", "language": "en"},
    )
    created = MailingList.objects.get(owner=owner)
    assert response["Location"] == f"/lists/{created.pk}/"
    assert (created.name, created.double_opt_in, created.language) == ("Акции", True, "en")
    response = signed_in.submit(f"/lists/{created.pk}/edit/", {"name": "Акции 2", "language": "ru"})
    created.refresh_from_db()
    assert (created.name, created.double_opt_in) == ("Акции 2", False)
    member = MembershipFactory(mailing_list=created)
    mailing = MailingFactory(owner=owner)
    mailing.lists.add(created)
    page = signed_in.get(f"/lists/{created.pk}/delete/")
    assert page.context["mailing_count"] == 1
    signed_in.submit(f"/lists/{created.pk}/delete/")
    assert not MailingList.objects.exists()
    assert not Membership.objects.exists()
    # The clients stay.
    member.client.refresh_from_db()


def test_a_second_list_of_the_same_name_is_refused_beside_the_field(signed_in, owner):
    MailingListFactory(owner=owner, name="Новости")
    MailingListFactory(name="Акции")  # another owner's name is free
    response = signed_in.submit("/lists/new/", {"name": "НОВОСТИ", "language": "ru"})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert signed_in.submit("/lists/new/", {"name": "Акции", "language": "ru"}).status_code == 302


def test_members_come_a_page_at_a_time_and_by_status(signed_in, owner):
    news = MailingListFactory(owner=owner)
    for _ in range(55):
        MembershipFactory(mailing_list=news)
    waiting = MembershipFactory(mailing_list=news, status="pending")
    response = signed_in.get(f"/lists/{news.pk}/")
    assert response.context["counts"] == {"subscribed": 55, "pending": 1, "left": 0}
    assert len(response.context["page_obj"].object_list) == 50
    assert response.context["page_obj"].paginator.num_pages == 2
    response = signed_in.get(f"/lists/{news.pk}/?status=pending")
    assert [m.pk for m in response.context["page_obj"].object_list] == [waiting.pk]
    assert response.context["member_total"] == 56
    assert waiting.client.email in response.content.decode()


def test_the_client_page_shows_its_lists_tags_and_fields(signed_in, owner):
    client = ClientFactory(owner=owner, attributes={"city": "Казань"})
    MembershipFactory(mailing_list__owner=owner, mailing_list__name="Новости", client=client)
    TagFactory(owner=owner, name="vip").clients.add(client)
    page = signed_in.get(f"/clients/{client.pk}/").content.decode()
    assert "Новости" in page and "vip" in page and "city" in page and "Казань" in page
    listing = signed_in.get("/clients/").content.decode()
    assert "vip" in listing


def test_the_client_form_creates_tags_as_needed_and_keeps_one_per_name(signed_in, owner):
    TagFactory(owner=owner, name="VIP")
    response = signed_in.submit(
        "/clients/new/",
        {"email": "t@example.org", "tags": "vip, Купил в 2026 ,, купил в 2026", "attributes": ""},
    )
    assert response.status_code == 302
    client = owner.clients.get()
    assert sorted(client.tags.values_list("name", flat=True)) == ["VIP", "Купил в 2026"]
    assert owner.client_tags.count() == 2
    edit = signed_in.get(f"/clients/{client.pk}/edit/")
    assert edit.context["form"]["tags"].value() in ("VIP, Купил в 2026", ["VIP", "Купил в 2026"])
    signed_in.submit(f"/clients/{client.pk}/edit/", {"email": client.email, "tags": ""})
    assert not client.tags.exists()


@pytest.mark.parametrize(
    ("attributes", "error"),
    [
        ("city Казань", "Строка 1"),
        ("!!!: x", "не может быть названием поля"),
        ("email: x", "встроенное поле"),
    ],
)
def test_bad_field_lines_are_the_fields_error(signed_in, owner, attributes, error):
    response = signed_in.submit(
        "/clients/new/", {"email": "a@example.org", "attributes": attributes}
    )
    assert response.status_code == 200
    assert error in " ".join(response.context["form"].errors["attributes"])


def test_the_client_list_filters_by_list_and_tag(signed_in, owner):
    news = MailingListFactory(owner=owner)
    on_list = MembershipFactory(mailing_list=news).client
    MembershipFactory(mailing_list=news, status="unsubscribed")
    tagged = ClientFactory(owner=owner)
    tag = TagFactory(owner=owner)
    tag.clients.add(tagged, on_list)
    ClientFactory(owner=owner)

    def emails(query: str) -> set[str]:
        response = signed_in.get(f"/clients/{query}")
        assert response.status_code == 200
        return {client.email for client in response.context["object_list"]}

    assert emails(f"?list={news.pk}") == {on_list.email}
    assert emails(f"?tag={tag.pk}") == {on_list.email, tagged.email}
    assert emails(f"?list={news.pk}&tag={tag.pk}") == {on_list.email}
    stranger = MailingListFactory()
    MembershipFactory(mailing_list=stranger)
    assert emails(f"?list={stranger.pk}") == set()
    assert len(emails("?list=abc&tag=99999999999999999999999")) == 4
    export = b"".join(signed_in.get(f"/clients/export/?tag={tag.pk}").streaming_content).decode()
    assert tagged.email in export and len(export.strip().splitlines()) == 3


def test_list_pages_cost_the_same_queries_for_few_or_many_rows(signed_in, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    news = MailingListFactory(owner=owner)
    tag = TagFactory(owner=owner)

    def grow(count: int) -> None:
        for _ in range(count):
            member = MembershipFactory(mailing_list__owner=owner)
            MembershipFactory(mailing_list=news, client=member.client)
            tag.clients.add(member.client)

    paths = ["/lists/", f"/lists/{news.pk}/", f"/clients/?q=example&tag={tag.pk}"]

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert signed_in.get(path).status_code == 200
        return len(captured)

    grow(3)
    for path in paths:
        queries(path)  # warm up
    few = {path: queries(path) for path in paths}
    grow(30)
    assert {path: queries(path) for path in paths} == few


def test_the_list_page_gives_its_public_form_and_the_form_can_ask_for_a_captcha(signed_in, owner):
    response = signed_in.submit("/lists/new/", {"name": "Форма", "language": "ru", "captcha": "on"})
    created = MailingList.objects.get(owner=owner)
    assert created.captcha is True
    page = signed_in.get(response["Location"]).content.decode()
    assert f"/subscribe/{created.token}/" in page
    assert 'id="subscription-snippet"' in page
    assert 'data-copy="&lt;form method=&quot;post&quot;' in page  # the snippet has a copy button
