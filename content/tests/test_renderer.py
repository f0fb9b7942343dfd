"""Each email: personalised safely, text + HTML, Message-ID, Date, one-click unsubscribe."""

import email
from email import policy

import pytest
from django.core import signing

from audience.unsubscribe_tokens import unsubscribe_target
from content.renderer import Recipient, Renderer
from mailings.tests.factories import unsubscribe_token
from senders.envelope import delivery_of_message_id

pytestmark = pytest.mark.django_db


def build(subject="Hi", body="Body", *, full_name="Анна Иванова", address="anna@example.org"):
    renderer = Renderer(subject=subject, body=body, attempt_id=7)
    rendered = renderer.render(
        Recipient(delivery_id=42, client_id=5, email=address, full_name=full_name)
    )
    return rendered, email.message_from_bytes(rendered.data, policy=policy.default)


def parts(message) -> tuple[str, str]:
    return tuple(
        message.get_body((kind,)).get_content().replace("\r\n", "\n") for kind in ("plain", "html")
    )


def test_it_fills_both_placeholders_with_or_without_spaces():
    written = "{{full_name}} / {{  email }} / {{ full_name}}"
    _rendered, message = build(subject=written, body=written, full_name="A", address="b@c.org")
    assert message["Subject"] == "A / b@c.org / A"
    assert parts(message)[0].startswith("A / b@c.org / A\n")


def test_it_never_runs_template_code_from_the_user():
    body = "{% now 'Y' %} {{ settings.SECRET_KEY }} {{ full_name|upper }} {% include 'base.html' %}"
    _rendered, message = build(body=body)
    text, html = parts(message)
    assert body in text
    assert "{% now &#x27;Y&#x27; %}" in html
    assert "insecure-key" not in text


def test_subject_and_body_are_personalised_per_recipient():
    rendered, message = build(
        subject="Новости для {{ full_name }}",
        body="Здравствуйте, {{ full_name }}!\nВаш адрес: {{ email }}",
    )
    assert message["Subject"] == "Новости для Анна Иванова"
    text, html = parts(message)
    assert text.startswith("Здравствуйте, Анна Иванова!\nВаш адрес: anna@example.org")
    assert "Здравствуйте, Анна Иванова!<br>" in html
    assert rendered.envelope_to == "anna@example.org"


def test_it_is_plain_text_with_an_html_alternative():
    _rendered, message = build(body="Line one\n\nSee https://example.com/a?b=1&c=2.")
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    text, html = parts(message)
    assert "<p>Line one</p>" in html
    assert '<a href="https://example.com/a?b=1&amp;c=2">' in html
    assert "https://example.com/a?b=1&c=2." in text


def test_recipient_values_are_escaped_in_html():
    _rendered, message = build(body="Hi {{ full_name }}", full_name="<script>alert(1)</script>")
    text, html = parts(message)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert "Hi <script>alert(1)</script>" in text


def test_a_name_cannot_inject_headers():
    _rendered, message = build(
        subject="Hi {{ full_name }}", full_name="X\r\nBcc: victim@example.org"
    )
    assert message["Bcc"] is None
    assert (
        "Bcc: victim" not in message["Subject"].replace("\n", "") or "\n" not in message["Subject"]
    )
    assert "\n" not in message["Subject"]


def test_it_has_message_id_date_and_one_click_unsubscribe_headers(settings):
    settings.DEFAULT_FROM_EMAIL = "Acme News <news@acme.example>"
    settings.SITE_URL = "https://mail.acme.example"
    _rendered, message = build()
    # Delivery 42 of run 7, signed: a report quoting it proves it is about this email.
    assert message["Message-ID"].startswith("<42.7.")
    assert message["Message-ID"].endswith("@acme.example>")
    assert delivery_of_message_id(message["Message-ID"]) == (42, 7)
    assert message["Date"]
    assert message["From"] == "Acme News <news@acme.example>"
    url = f"https://mail.acme.example/unsubscribe/{unsubscribe_token(5)}/"
    assert message["List-Unsubscribe"] == f"<{url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    assert url in text
    assert f'href="{url}"' in html


def test_the_message_id_is_the_same_on_every_try_of_one_delivery():
    first = build()[1]["Message-ID"]
    again = build()[1]["Message-ID"]
    assert first == again


def test_the_envelope_uses_idna_for_international_domains():
    rendered, _message = build(address="user@пример.рф")
    assert rendered.envelope_to == "user@xn--e1afmkfd.xn--p1ai"


def test_the_footer_speaks_the_site_language(settings):
    settings.LANGUAGE_CODE = "en"
    text, _html = parts(build()[1])
    assert "To unsubscribe, open this link" in text


def test_a_token_names_its_client_and_resists_tampering():
    token = unsubscribe_token(123)
    assert unsubscribe_target(token) == (123, None)
    assert unsubscribe_target(token[:-2] + "xx") is None
    assert unsubscribe_target("garbage") is None
    # A token signed for another purpose is not an unsubscribe token.
    assert unsubscribe_target(signing.Signer(salt="other").sign_object(123)) is None


def test_a_body_holding_the_first_boundary_drawn_gets_another(monkeypatch):
    """The MIME boundary is drawn without the standard library's regular expression: a
    recipient whose text holds the boundary drawn first must still get intact parts."""
    import random as random_module

    draws = iter([7, 7, 8])
    monkeypatch.setattr(random_module, "randrange", lambda _stop: next(draws))
    clash = f"--{'=' * 15}{7:019d}=="
    rendered, message = build(body=f"Before\n{clash}\nAfter")
    text, html = parts(message)
    assert clash in text and "After" in text
    assert message.get_boundary() == f"{'=' * 15}{8:019d}=="
