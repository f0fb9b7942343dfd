"""Placeholders with a fallback: parsed once, filled by plain substitution, checked by the
message form against the fields the owner's clients have."""

import email
from email import policy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audience.attributes import attribute_keys_changed, known_attribute_keys
from audience.placeholders import Slot, compile_text, fill, unknown_placeholders
from content.renderer import Recipient, Renderer
from mailings.tests.factories import ClientFactory

names = st.from_regex(r"[a-z0-9_]{1,20}", fullmatch=True)
fallbacks = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters='"{}'), max_size=20
)
literal = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="{}"), max_size=40)


@given(literal)
def test_text_without_braces_comes_back_as_it_is(text):
    assert compile_text(text) == [text]
    assert fill(compile_text(text), {"city": "x"}) == text


@given(st.lists(st.tuples(literal, names, st.one_of(st.none(), fallbacks)), max_size=5), literal)
def test_every_slot_is_found_and_filled_with_its_value_or_fallback(pieces, tail):
    text = (
        "".join(
            piece + ("{{ " + name + (" }}" if fallback is None else f' | "{fallback}" }}}}'))
            for piece, name, fallback in pieces
        )
        + tail
    )
    parts = compile_text(text)
    assert parts[1::2] == [Slot(name, fallback or "") for _piece, name, fallback in pieces]
    # Nobody has a value: every slot becomes its fallback.
    assert (
        fill(parts, {})
        == "".join(piece + (fallback or "") for piece, _name, fallback in pieces) + tail
    )
    # Everyone has one: values win over fallbacks, and never come back as braces.
    values = {name: f"<{name}>" for _piece, name, _fallback in pieces}
    assert fill(parts, values) == "".join(piece + f"<{name}>" for piece, name, _f in pieces) + tail


@given(st.text(max_size=60))
def test_any_text_compiles_and_fills_without_error(text):
    parts = compile_text(text)
    assert len(parts) % 2 == 1
    fill(parts, {"city": "Казань"}, transform=str.upper)
    unknown_placeholders(text, frozenset({"full_name", "email"}))


def test_an_empty_value_takes_the_fallback_and_typographic_quotes_work():
    parts = compile_text('{{ city | "друг" }}, {{ city|«друг» }}, {{ city | “друг” }}')
    assert fill(parts, {"city": ""}) == "друг, друг, друг"
    assert fill(parts, {"city": "Казань"}) == "Казань, Казань, Казань"


def test_unknown_and_malformed_placeholders_are_reported_as_written():
    text = "{{ full_name }} {{ city }} {{ 7*7 }} {{ Town }} {{ city }}"
    assert unknown_placeholders(text, frozenset({"full_name"})) == [
        "{{ city }}",
        "{{ 7*7 }}",
        "{{ Town }}",
    ]
    assert (
        unknown_placeholders(text.replace("{{ 7*7 }} {{ Town }}", ""), {"full_name", "city"}) == []
    )


def render(body, attributes, *, body_format="plain"):
    renderer = Renderer(
        subject='Для {{ city | "вас" }}', body=body, attempt_id=1, body_format=body_format
    )
    data = renderer.render(Recipient(1, 1, "a@example.org", "Анна", attributes=attributes)).data
    message = email.message_from_bytes(data, policy=policy.default)
    text, html = (message.get_body((kind,)).get_content() for kind in ("plain", "html"))
    return message["Subject"], text, html


@pytest.mark.parametrize("body_format", ["plain", "markdown"])
def test_the_email_carries_the_clients_fields_escaped_in_html(body_format):
    body = 'Привет из {{ city | "ниоткуда" }}, {{ full_name }}! Тариф: {{ plan }}.'
    subject, text, html = render(
        body, {"city": "<b>Казань</b>", "plan": "pro & co"}, body_format=body_format
    )
    assert subject == "Для <b>Казань</b>"
    assert "Привет из <b>Казань</b>, Анна! Тариф: pro & co." in text
    assert "&lt;b&gt;Казань&lt;/b&gt;" in html and "<b>Казань</b>" not in html
    assert "pro &amp; co" in html
    subject, text, html = render(body, {}, body_format=body_format)
    assert subject == "Для вас"
    assert "Привет из ниоткуда, Анна! Тариф: ." in text


def test_a_field_cannot_pass_itself_off_as_the_name():
    _subject, text, _html = render("{{ full_name }}", {"full_name": "Подделка"})
    assert "Анна" in text and "Подделка" not in text


@pytest.mark.django_db
def test_the_message_form_refuses_unknown_placeholders_and_lists_the_known_ones(signed_in, owner):
    ClientFactory(owner=owner, attributes={"city": "Казань"})
    attribute_keys_changed(owner.pk)
    response = signed_in.submit(
        "/messages/new/", {"subject": "Hi {{ town }}", "body": '{{ city | "друг" }} {{ plan }}'}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "{{ town }}" in errors["subject"][0]
    assert "{{ plan }}" in errors["body"][0]
    assert "{{ city }}" in errors["body"][0] and "{{ full_name }}" in errors["body"][0]
    response = signed_in.submit(
        "/messages/new/", {"subject": "Hi {{ full_name }}", "body": '{{ city | "друг" }}'}
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_known_keys_are_the_owners_alone_and_follow_edits(signed_in, owner):
    ClientFactory(attributes={"secret_field": "x"})  # another owner's
    assert known_attribute_keys(owner.pk) == []
    client = ClientFactory(owner=owner)
    response = signed_in.submit(
        f"/clients/{client.pk}/edit/",
        {"email": client.email, "attributes": "Город: Казань\nplan: pro"},
    )
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.attributes == {"gorod": "Казань", "plan": "pro"}
    # The form forgot the cached keys: the new ones are known at once.
    assert known_attribute_keys(owner.pk) == ["gorod", "plan"]


@pytest.mark.django_db
def test_a_run_sends_each_client_its_own_fields_through_a_real_smtp_server(smtp_server):
    from mailings.tests.factories import mailing_to
    from sending.passes import run_pass

    mailing = mailing_to(2, message__body='Ждём вас в {{ city | "нашем магазине" }}!')
    kazan, nowhere = mailing.clients.order_by("email")
    kazan.attributes = {"city": "Казани"}
    kazan.save()
    run_pass()
    texts = {
        message["To"]: message.get_body(("plain",)).get_content()
        for message in (
            email.message_from_bytes(data, policy=policy.default)
            for _rcpt, data in smtp_server.messages
        )
    }
    assert "Ждём вас в Казани!" in texts[kazan.email]
    assert "Ждём вас в нашем магазине!" in texts[nowhere.email]


def test_fields_that_are_not_an_object_of_text_never_stop_a_send():
    _subject, text, _html = render('{{ city | "—" }} {{ n }}', ["not", "an", "object"])
    assert "— " in text
    _subject, text, _html = render("{{ n }}", {"n": 7})
    assert "7" in text
