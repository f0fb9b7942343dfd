"""Custom fields: one set of rules for keys and values whichever way they come in (the
client form, CSV columns, the API)."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from audience.attributes import (
    KEY,
    MAX_FIELDS,
    MAX_KEY_LENGTH,
    MAX_VALUE_LENGTH,
    attribute_key,
    clean_attributes,
    known_attribute_keys,
)
from audience.client_csv import ImportFileError, clients_import
from audience.models import Client, Membership
from audience.tests.factories import MailingListFactory, MembershipFactory
from mailings.tests.factories import ClientFactory

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)


@given(text)
def test_a_key_is_an_identifier_or_refused_and_normalising_it_again_changes_nothing(raw):
    try:
        key = attribute_key(raw)
    except ValidationError:
        return
    assert KEY.fullmatch(key) and len(key) <= MAX_KEY_LENGTH
    assert not key.startswith("_") and not key.endswith("_")
    assert attribute_key(key) == key


@given(st.dictionaries(text, st.one_of(text, st.integers(), st.none()), max_size=60))
def test_cleaned_fields_are_bounded_text_or_one_clear_error(raw):
    try:
        cleaned = clean_attributes(raw)
    except ValidationError as error:
        assert error.messages
        return
    assert len(cleaned) <= MAX_FIELDS
    for key, value in cleaned.items():
        assert KEY.fullmatch(key)
        assert isinstance(value, str) and 0 < len(value) <= MAX_VALUE_LENGTH
        assert "\x00" not in value


@pytest.mark.parametrize(
    ("raw", "key"),
    [("City", "city"), ("Город", "gorod"), ("Дата покупки", "data_pokupki"), ("plan-2", "plan_2")],
)
def test_column_names_become_readable_keys(raw, key):
    assert attribute_key(raw) == key


@pytest.mark.parametrize("raw", ["", "!!!", "栄子", "email", "Full name", "tags"])
def test_names_with_nothing_usable_or_built_in_are_refused(raw):
    with pytest.raises(ValidationError):
        attribute_key(raw)


def test_values_are_trimmed_bounded_and_empty_ones_dropped():
    assert clean_attributes({"city": "  Казань ", "plan": ""}) == {"city": "Казань"}
    with pytest.raises(ValidationError):
        clean_attributes({"city": "x" * (MAX_VALUE_LENGTH + 1)})
    with pytest.raises(ValidationError):
        clean_attributes({"City": "a", "city": "b"})


# CSV


def csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.django_db
def test_extra_columns_become_fields_and_empty_cells_keep_old_values(owner):
    ClientFactory(owner=owner, email="old@example.org", attributes={"city": "Омск", "vip": "да"})
    result = clients_import(
        owner=owner,
        data=csv(
            "email,full_name,Город,Тариф",
            "new@example.org,Вера,Казань,pro",
            "old@example.org,,Томск,",
        ),
    )
    assert (result.created, result.updated, result.errors) == (1, 1, [])
    fields = dict(Client.objects.values_list("email", "attributes"))
    assert fields["new@example.org"] == {"gorod": "Казань", "tarif": "pro"}
    # "city" stays: only the file's own columns are written.
    assert fields["old@example.org"] == {"city": "Омск", "vip": "да", "gorod": "Томск"}
    assert known_attribute_keys(owner.pk) == ["city", "gorod", "tarif", "vip"]
    again = clients_import(owner=owner, data=csv("email,Город", "new@example.org,Казань"))
    assert (again.updated, again.unchanged) == (0, 1)


@pytest.mark.django_db
def test_a_csv_with_500_columns_is_refused_as_a_whole(owner):
    header = ",".join(["email", *(f"field{n}" for n in range(500))])
    row = ",".join(["a@example.org", *("x" for _ in range(500))])
    with pytest.raises(ImportFileError, match="501"):
        clients_import(owner=owner, data=csv(header, row))
    assert not Client.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["email,Город,город", "email,city,City "])
def test_two_columns_making_one_field_refuse_the_file(owner, header):
    with pytest.raises(ImportFileError, match="пропустите один"):
        clients_import(owner=owner, data=csv(header, "a@example.org,1,2"))


@pytest.mark.django_db
def test_a_column_that_cannot_be_a_field_is_proposed_skipped_and_tags_columns_join(owner):
    # These refused the file before the mapping step; now the step proposes what they are.
    result = clients_import(owner=owner, data=csv("email,!!!,tags_,Tags", "a@example.org,1,x,y"))
    assert result.created == 1
    client = Client.objects.get()
    assert client.attributes == {}
    assert sorted(client.tags.values_list("name", flat=True)) == ["x", "y"]


@pytest.mark.django_db
def test_a_value_over_the_limit_is_a_row_error(owner):
    result = clients_import(
        owner=owner,
        data=csv(
            "email,city", f"a@example.org,{'x' * (MAX_VALUE_LENGTH + 1)}", "b@example.org,Уфа"
        ),
    )
    assert result.created == 1
    assert [error["emails"] for error in result.errors] == [["a@example.org"]]


@pytest.mark.django_db
def test_the_lists_and_tags_columns_join_lists_but_never_bring_back_who_left(owner):
    news = MailingListFactory(owner=owner, name="Новости")
    sale = MailingListFactory(owner=owner, name="Sale")
    left = MembershipFactory(
        mailing_list=sale,
        client__email="left@example.org",
        status=Membership.Status.UNSUBSCRIBED,
    )
    result = clients_import(
        owner=owner,
        data=csv(
            "email,lists,tags",
            'a@example.org,"новости, SALE","vip, купил"',
            "left@example.org,Sale,",
            "c@example.org,Нет такого,",
        ),
    )
    assert [error["emails"] for error in result.errors] == [["c@example.org"]]
    a = Client.objects.get(email="a@example.org")
    assert set(a.lists.all()) == {news, sale}
    assert sorted(a.tags.values_list("name", flat=True)) == ["vip", "купил"]
    assert a.attributes == {}
    left.refresh_from_db()
    assert left.status == Membership.Status.UNSUBSCRIBED


# The API


@pytest.mark.django_db
def test_the_api_writes_fields_and_tags_and_a_patch_keeps_what_it_does_not_name(owner):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(owner)
    response = api.post(
        "/api/v1/clients/",
        {"email": "api@example.org", "attributes": {"City": "Казань"}, "tags": ["vip", "VIP"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["attributes"] == {"city": "Казань"}
    assert body["tags"] == ["vip"]
    assert body["lists"] == []
    response = api.patch(f"/api/v1/clients/{body['id']}/", {"full_name": "Вера"}, format="json")
    assert response.json()["tags"] == ["vip"] and response.json()["attributes"] == {
        "city": "Казань"
    }
    response = api.patch(
        f"/api/v1/clients/{body['id']}/",
        {"attributes": {f"f{n}": "x" for n in range(MAX_FIELDS + 1)}},
        format="json",
    )
    assert response.status_code == 400
    assert (
        "attributes" in response.json()["errors"]
        if "errors" in response.json()
        else response.json()
    )


@pytest.mark.django_db
def test_bulk_upsert_sets_the_fields_it_names_and_refuses_bad_ones_whole(owner):
    from rest_framework.test import APIClient

    ClientFactory(owner=owner, email="old@example.org", attributes={"vip": "да"})
    api = APIClient()
    api.force_authenticate(owner)
    rows = [
        {"email": "old@example.org", "attributes": {"Город": "Уфа"}},
        {"email": "new@example.org", "attributes": {"plan": "pro"}},
    ]
    response = api.post("/api/v1/clients/bulk/", {"clients": rows}, format="json")
    assert response.json() == {"created": 1, "updated": 1, "unchanged": 0, "suppressed": 0}
    fields = dict(Client.objects.values_list("email", "attributes"))
    assert fields == {
        "old@example.org": {"vip": "да", "gorod": "Уфа"},
        "new@example.org": {"plan": "pro"},
    }
    assert known_attribute_keys(owner.pk) == ["gorod", "plan", "vip"]
    bad = [{"email": "x@example.org"}, {"email": "y@example.org", "attributes": {"!!!": "x"}}]
    response = api.post("/api/v1/clients/bulk/", {"clients": bad}, format="json")
    assert response.status_code == 400
    assert not Client.objects.filter(email="x@example.org").exists()


@pytest.mark.django_db
def test_the_export_carries_the_fields_and_imports_back_as_it_was(signed_in, owner):
    ClientFactory(owner=owner, email="a@example.org", attributes={"city": "Казань"})
    ClientFactory(owner=owner, email="b@example.org", attributes={"plan": "pro"})
    data = b"".join(signed_in.get("/clients/export/").streaming_content)
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        '"email","full_name","comment","unsubscribed_at","status","lists","tags","city","plan"'
    )
    Client.objects.update(attributes={})
    result = clients_import(owner=owner, data=data)
    assert result.errors == [] and result.updated == 2
    assert dict(Client.objects.values_list("email", "attributes")) == {
        "a@example.org": {"city": "Казань"},
        "b@example.org": {"plan": "pro"},
    }
