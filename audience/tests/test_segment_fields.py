"""The segment editor in the user's words: each field offers its own operators (in the
page's JSON, in the server-rendered row, and in what the server accepts), choices are
selects in the user's language, and custom fields keep the names their owner gave them."""

import json
import re

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from audience.attributes import attribute_keys_changed
from audience.client_csv import clients_import
from audience.models import Client, CustomField, MailingList, Segment, Tag
from audience.segment_forms import rule_formset, segment_count_of
from config.tests import hostile
from mailings.tests.factories import ClientFactory, MessageFactory

from .test_segment_pages import editor

pytestmark = pytest.mark.django_db


def rule_fields(page) -> dict:
    """The JSON the editor's script builds its rows from."""
    found = re.search(
        r'<script id="rule-fields" type="application/json">(.*?)</script>',
        page.content.decode(),
        re.DOTALL,
    )
    return json.loads(found.group(1))


def options(html: str, name: str) -> list[tuple[str, str]]:
    """(value, text) of the options of the select `name` in `html`."""
    select = re.search(rf'<select name="{re.escape(name)}".*?</select>', html, re.DOTALL)
    assert select, f"no select {name}"
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(0))


def test_each_field_offers_only_its_own_operators(signed_in, owner, settings):
    settings.LANGUAGE_CODE = "en"
    ClientFactory(owner=owner, attributes={"city": "Казань"})
    fields = rule_fields(signed_in.get("/segments/new/"))

    def ops(name):
        return [op for op, _label, _input in fields[name]["operators"]]

    assert ops("email") == ["equals", "not_equals", "contains", "is_set", "is_not_set"]
    assert ops("attributes.city") == ops("email")
    assert ops("status") == ["is", "is_not"]
    assert ops("tag") == ["has", "has_not"]
    assert ops("list") == ["member", "not_member"]
    assert ops("created_at") == ["before", "after", "within_days"]
    assert ops("opened") == ["in_last_runs", "not_in_last_runs"]
    # Never a list operator on a text field, never one label twice in a field's select.
    assert "member" not in ops("attributes.city")
    for name, entry in fields.items():
        labels = [label for _op, label, _input in entry["operators"]]
        assert len(labels) == len(set(labels)), name
    # The value box each operator asks for.
    inputs = {op: kind for op, _label, kind in fields["created_at"]["operators"]}
    assert inputs == {"before": "date", "after": "date", "within_days": "number"}
    assert {kind for _op, _label, kind in fields["status"]["operators"]} == {"choice"}
    assert [kind for op, _l, kind in fields["email"]["operators"] if op == "is_set"] == [""]


def test_a_saved_row_offers_its_fields_operators_and_a_select_of_its_values(signed_in, owner):
    Tag.objects.create(owner=owner, name="vip")
    Tag.objects.create(owner=owner, name="опт")
    Tag.objects.create(owner=UserFactory(), name="чужой")
    segment = Segment.objects.create(
        owner=owner,
        name="VIP",
        rules=[
            {"field": "tag", "op": "has", "value": "vip"},
            {"field": "created_at", "op": "before", "value": "2026-01-01"},
        ],
    )
    html = signed_in.get(f"/segments/{segment.pk}/edit/").content.decode()
    assert [value for value, _text in options(html, "rules-0-op")] == ["", "has", "has_not"]
    assert options(html, "rules-0-value") == [("", "—"), ("vip", "vip"), ("опт", "опт")]
    assert re.search(r'<option value="vip" selected>', html)
    assert re.search(r'<input type="date" name="rules-1-value" value="2026-01-01"', html)


@pytest.mark.parametrize("language, active", [("ru", "Активен"), ("en", "Active")])
def test_status_is_a_select_of_translated_statuses(signed_in, owner, language, active):
    segment = Segment.objects.create(
        owner=owner, name="Активные", rules=[{"field": "status", "op": "is", "value": "active"}]
    )
    with translation.override(language):
        bounced = str(Client.Status.BOUNCED.label)
    signed_in.cookies["django_language"] = language
    html = signed_in.get(f"/segments/{segment.pk}/edit/").content.decode()
    statuses = dict(options(html, "rules-0-value"))
    assert statuses["active"] == active and statuses["bounced"] == bounced
    assert set(statuses) == {"", *Client.Status.values}
    assert len(set(statuses.values())) == len(statuses)
    fields = rule_fields(signed_in.get("/segments/new/"))
    assert [active, "active"] in [[label, value] for value, label in fields["status"]["choices"]]
    # The segment's page says it the same way.
    detail = signed_in.get(f"/segments/{segment.pk}/").content.decode()
    assert active in re.search(r'<ul id="segment-rules">(.*?)</ul>', detail, re.DOTALL).group(1)


def test_lists_are_a_select_of_the_owners_lists(signed_in, owner):
    MailingList.objects.create(owner=owner, name="Новости")
    MailingList.objects.create(owner=UserFactory(), name="Чужая")
    fields = rule_fields(signed_in.get("/segments/new/"))
    assert fields["list"]["choices"] == [["Новости", "Новости"]]


@pytest.mark.parametrize(
    "rows, says",
    [
        ([("status", "contains", "active")], "“is”, “is not”"),
        ([("attributes.city", "member", "Новости")], "“contains”"),
        ([("tag", "equals", "vip")], "“has”, “has not”"),
    ],
)
def test_an_operator_the_field_does_not_take_is_refused_naming_those_it_does(
    signed_in, owner, settings, rows, says
):
    settings.LANGUAGE_CODE = "en"
    response = signed_in.submit("/segments/new/", editor(rows=rows))
    assert response.status_code == 200
    errors = [str(e) for form in response.context["rules"].forms for e in form.non_field_errors()]
    assert any("cannot be used with the field" in e and says in e for e in errors), errors
    assert not Segment.objects.exists()
    # The row comes back offering its field's operators alone.
    offered = [op for op, _text in options(response.content.decode(), "rules-0-op")]
    assert rows[0][1] not in offered and len(offered) > 1


def test_a_field_keeps_the_name_typed_and_its_key_is_the_placeholder(signed_in, owner):
    result = clients_import(
        owner=owner, data="email;Имя;Город\nanna@example.org;Анна;Казань\n".encode("cp1251")
    )
    assert result.created == 1
    client = Client.objects.get(owner=owner)
    # «Имя» is proposed as the name (the import's mapping); «Город» becomes a field.
    assert (client.full_name, client.attributes) == ("Анна", {"gorod": "Казань"})
    assert CustomField.objects.get(owner=owner, key="gorod").label == "Город"
    # A later file naming it in lower case does not rename it.
    clients_import(owner=owner, data="email,город\nboris@example.org,Москва\n".encode())
    assert CustomField.objects.get(owner=owner, key="gorod").label == "Город"

    detail = signed_in.get(f"/clients/{client.pk}/").content.decode()
    assert ">Город</dt>" in detail and "gorod" not in detail
    form = signed_in.get(f"/clients/{client.pk}/edit/").content.decode()
    assert "Город: Казань" in form

    # The segment editor and page name it so; the rule keeps the key.
    page = signed_in.get("/segments/new/")
    assert ("attributes.gorod", "Город") in options(page.content.decode(), "rules-0-field")
    segment = Segment.objects.create(
        owner=owner,
        name="Казань",
        rules=[{"field": "attributes.gorod", "op": "equals", "value": "казань"}],
    )
    detail = signed_in.get(f"/segments/{segment.pk}/").content.decode()
    assert "Город" in re.search(r'<ul id="segment-rules">(.*?)</ul>', detail, re.DOTALL).group(1)

    # The message form explains the key once, beside the name; the key fills the email.
    help_text = signed_in.get("/messages/new/").context["form"].fields["body"].help_text
    assert "{{ gorod }} (Город)" in help_text
    message = MessageFactory(owner=owner, subject="Привет", body="Как погода, {{ gorod }}?")
    email = signed_in.get(f"/messages/{message.pk}/preview/email/?client={client.pk}")
    assert "Как погода, Казань?" in email.content.decode()


def test_the_client_form_records_the_name_it_was_typed_with(signed_in, owner):
    client = ClientFactory(owner=owner)
    response = signed_in.submit(
        f"/clients/{client.pk}/edit/", {"email": client.email, "attributes": "Дата рождения: 1.2"}
    )
    assert response.status_code == 302
    assert CustomField.objects.get(owner=owner, key="data_rozhdeniya").label == "Дата рождения"


def test_the_fields_page_shows_names_and_placeholders_and_renames(signed_in, owner, settings):
    settings.LANGUAGE_CODE = "en"
    ClientFactory(owner=owner, attributes={"gorod": "Казань", "plan": "pro"})
    attribute_keys_changed(owner.pk)
    CustomField.objects.create(owner=owner, key="gorod", label="Город")
    ClientFactory(attributes={"secret": "x"})  # another owner's field stays theirs
    page = signed_in.get("/clients/fields/").content.decode()
    assert "Город" in page and "{{ gorod }}" in page and "{{ plan }}" in page
    assert "secret" not in page

    refused = signed_in.submit("/clients/fields/plan/", {"label": " город "})
    assert "already named" in refused.content.decode()
    assert signed_in.submit("/clients/fields/plan/", {"label": " Тариф "}).status_code == 302
    assert CustomField.objects.get(owner=owner, key="plan").label == "Тариф"
    assert signed_in.get("/clients/fields/secret/").status_code == 404


# Whatever the editor is sent, an answer with reasons, never an exception.

RULE_FIELDS = st.one_of(
    st.sampled_from(["email", "status", "tag", "list", "created_at", "opened", "attributes"]),
    st.sampled_from(["attributes.gorod", "attributes.", "attributes.a b", ""]),
    hostile.text,
)
RULE_OPS = st.one_of(
    st.sampled_from(["equals", "is", "has", "member", "before", "in_last_runs", "is_set", ""]),
    hostile.text,
)


def test_any_editor_input_gives_a_count_or_reasons(owner):
    Tag.objects.create(owner=owner, name="vip")
    ClientFactory(owner=owner, attributes={"gorod": "Казань"})

    @given(
        rows=st.lists(st.tuples(RULE_FIELDS, RULE_OPS, hostile.text), max_size=3),
        total=st.one_of(st.none(), hostile.text),
        match=st.one_of(st.sampled_from(["all", "any"]), hostile.text),
    )
    def check(rows, total, match):
        data = editor(match=match, rows=rows)
        if total is not None:
            data["rules-TOTAL_FORMS"] = total
        count, errors = segment_count_of(owner, data)
        assert (count is None) == bool(errors)
        assert all(isinstance(error, str) and error for error in errors)
        # The rows render for the page, whatever they hold.
        for form in rule_formset(owner, data).forms:
            assert str(form["op"]) and str(form["value"])

    check()
