"""The segment pages: the rule editor (a formset, no SQL), its live count, the detail
with its count and first matches, and deleting one a mailing uses."""

import pytest

from accounts.tests.factories import UserFactory
from audience.models import Segment, Tag
from mailings.tests.factories import ClientFactory, MailingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    # Errors are read in English here; the Russian catalogue is checked elsewhere.
    settings.LANGUAGE_CODE = "en"


def editor(name="Казань", match="all", rows=()) -> dict:
    data = {
        "name": name,
        "match": match,
        "rules-TOTAL_FORMS": str(len(rows)),
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "50",
    }
    for index, (field, op, value) in enumerate(rows):
        data |= {
            f"rules-{index}-field": field,
            f"rules-{index}-op": op,
            f"rules-{index}-value": value,
        }
    return data


def test_a_segment_is_built_in_the_form_and_shows_its_matches(signed_in, owner):
    ClientFactory(owner=owner, email="a@example.org", attributes={"city": "Казань"})
    ClientFactory(owner=owner, email="b@example.org", attributes={"city": "Москва"})
    vip = Tag.objects.create(owner=owner, name="vip")
    vip.clients.add(ClientFactory(owner=owner, email="c@example.org"))

    page = signed_in.get("/segments/new/")
    assert page.status_code == 200
    assert 'name="rules-0-field"' in page.content.decode()
    assert "attributes.city" in page.content.decode()

    response = signed_in.submit(
        "/segments/new/",
        editor(
            match="any",
            rows=[("attributes.city", "equals", "казань"), ("tag", "has", "VIP"), ("", "", "")],
        ),
    )
    assert response.status_code == 302
    segment = Segment.objects.get(owner=owner)
    assert segment.match == "any"
    assert segment.rules == [
        {"field": "attributes.city", "op": "equals", "value": "казань"},
        {"field": "tag", "op": "has", "value": "VIP"},
    ]
    detail = signed_in.get(response["Location"])
    assert [c.email for c in detail.context["sample"]] == ["a@example.org", "c@example.org"]
    assert signed_in.get(f"/segments/{segment.pk}/count/").json() == {"count": 2}

    edit = signed_in.get(f"/segments/{segment.pk}/edit/")
    assert edit.context["rules"].initial[0]["value"] == "казань"


@pytest.mark.parametrize(
    "rows, says",
    [
        ([], "at least one"),
        ([("phone", "equals", "1")], "no field"),
        ([("email", "garbage", "1")], "Select a valid choice"),
        ([("email", "has", "1")], "operator"),
        ([("tag", "has", "нет")], "no tag"),
        ([("email", "contains", "x" * 5000)], "at most 255"),
        ([("email\x00", "contains", "x")], "Null characters"),
    ],
)
def test_a_bad_rule_is_an_error_beside_its_row(signed_in, owner, rows, says):
    response = signed_in.submit("/segments/new/", editor(rows=rows))
    assert response.status_code == 200
    rules = response.context["rules"]
    errors = [str(e) for e in rules.non_form_errors()]
    errors += [str(e) for form in rules.forms for es in form.errors.values() for e in es]
    assert any(says.casefold() in error.casefold() for error in errors), errors
    assert not Segment.objects.exists()


def test_add_a_condition_without_javascript_keeps_the_rows(signed_in, owner):
    data = editor(rows=[("email", "contains", "@")]) | {"add_row": "1"}
    response = signed_in.submit("/segments/new/", data)
    assert response.status_code == 200
    assert len(response.context["rules"].forms) == 2
    assert not Segment.objects.exists()


def test_the_live_count_answers_for_the_rules_in_the_query(signed_in, owner):
    ClientFactory(owner=owner, email="anna@kazan.example")
    ClientFactory(owner=owner, email="boris@example.org")
    ClientFactory(email="vera@kazan.example")  # someone else's
    answer = signed_in.get("/segments/count/", editor(rows=[("email", "contains", "kazan")]))
    assert answer.json() == {"count": 1}
    answer = signed_in.get("/segments/count/", editor(rows=[("status", "is", "sleepy")]))
    assert "Unknown status" in answer.json()["errors"][0]
    assert signed_in.get("/segments/count/", {"rules-TOTAL_FORMS": "x"}).status_code == 200


def test_a_segment_a_mailing_uses_is_not_deleted(signed_in, owner):
    segment = Segment.objects.create(
        owner=owner, name="Все", rules=[{"field": "email", "op": "contains", "value": "@"}]
    )
    mailing = MailingFactory(owner=owner, segment=segment)
    response = signed_in.submit(f"/segments/{segment.pk}/delete/")
    assert response.status_code == 200
    assert "cannot be deleted" in response.content.decode()
    assert list(response.context["blocking_mailings"]) == [mailing]
    assert Segment.objects.filter(pk=segment.pk).exists()

    mailing.delete()
    assert signed_in.submit(f"/segments/{segment.pk}/delete/").status_code == 302
    assert not Segment.objects.exists()


def test_an_invalid_segment_page_says_why(signed_in, owner):
    segment = Segment.objects.create(
        owner=owner, name="Старый", rules=[{"field": "tag", "op": "has", "value": "удалён"}]
    )
    response = signed_in.get(f"/segments/{segment.pk}/")
    assert response.status_code == 200
    assert "удалён" in str(response.context["rule_error"])
    assert signed_in.get(f"/segments/{segment.pk}/count/").json() == {"count": None}


def test_another_users_segment_is_404(signed_in):
    theirs = Segment.objects.create(owner=UserFactory(), name="Чужой", rules=[])
    assert signed_in.get(f"/segments/{theirs.pk}/").status_code == 404
    assert signed_in.get(f"/segments/{theirs.pk}/count/").status_code == 404
    assert signed_in.get(f"/segments/{theirs.pk}/edit/").status_code == 404
    assert signed_in.submit(f"/segments/{theirs.pk}/delete/").status_code == 404
    assert Segment.objects.filter(pk=theirs.pk).exists()
