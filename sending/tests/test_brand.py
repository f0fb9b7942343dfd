"""A user's brand (logo, accent colour, footer text) frames every email they send, with
its CSS inlined for clients that drop <style> and a dark-mode rule kept in <style>."""

import email
import email.policy
import re

import pytest

from mailings.tests.factories import ClientFactory, MessageFactory
from senders.models import Brand

pytestmark = pytest.mark.django_db

BODY = "# Привет, {{ full_name }}\n\n[Купить](https://shop.example.com){.button}"


def test_the_brand_page_saves_the_brand(signed_in, owner):
    response = signed_in.submit(
        "/brand/",
        {
            "logo_url": "https://acme.example/logo.png",
            "accent_color": "#aa3300",
            "footer_text": "ООО «Акме»",
        },
    )
    assert response.status_code == 302
    brand = Brand.objects.get(owner=owner)
    assert (brand.accent_color, brand.footer_text) == ("#aa3300", "ООО «Акме»")


@pytest.mark.parametrize(
    "field, value",
    [
        ("accent_color", "red;background:url(https://evil.example/)"),
        ("accent_color", "#12345"),
        ("logo_url", "javascript:alert(1)"),
        ("logo_url", "ftp://acme.example/logo.png"),
    ],
)
def test_bad_brand_values_are_refused_beside_the_field(signed_in, owner, field, value):
    data = {"accent_color": "#aa3300", field: value}
    response = signed_in.submit("/brand/", data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Brand.objects.exists()


def test_every_email_wears_the_brand(signed_in, owner):
    Brand.objects.create(
        owner=owner,
        logo_url="https://acme.example/logo.png",
        accent_color="#aa3300",
        footer_text="ООО «Акме»\n<b>Москва</b>",
    )
    client = ClientFactory(owner=owner, full_name="Вера")
    for body_format in ("markdown", "plain"):
        message = MessageFactory(owner=owner, body=BODY, format=body_format)
        url = f"/messages/{message.pk}/preview/?client={client.pk}"
        html = signed_in.get(url).context["preview"].html
        assert 'src="https://acme.example/logo.png"' in html
        assert "ООО «Акме»<br>&lt;b&gt;Москва&lt;/b&gt;" in html
        # Inlined for clients without <style>; the dark-mode rule stays in <style>.
        assert '<body style="' in html and "border-top: 4px solid #aa3300" in html
        assert "@media (prefers-color-scheme: dark)" in html


def test_the_brand_colours_buttons(signed_in, owner):
    Brand.objects.create(owner=owner, accent_color="#aa3300")
    message = MessageFactory(owner=owner, body=BODY, format="markdown")
    html = signed_in.get(f"/messages/{message.pk}/preview/").context["preview"].html
    # The button's rule is inlined over the link's (whose colour it replaces).
    assert re.search(
        r'<a class="button" [^>]*style="color:#ffffff;display:inline-block;padding:12px 20px;'
        r"border-radius:6px;background:#aa3300",
        html,
    )


def test_without_a_brand_emails_stay_minimal(signed_in, owner):
    message = MessageFactory(owner=owner)
    html = signed_in.get(f"/messages/{message.pk}/preview/").context["preview"].html
    assert "<style>" not in html and "rs-card" not in html


def test_a_branded_rich_email_stays_8bit(owner):
    """Lines over 998 bytes would make Django encode the whole HTML part as
    quoted-printable: correct, but several times the CPU on every email."""
    from content.renderer import Recipient, Renderer
    from senders.envelope import brand_of

    Brand.objects.create(owner=owner, accent_color="#aa3300", footer_text="Акме " * 300)
    long_paragraph = "Очень длинный абзац без переносов строки. " * 100
    renderer = Renderer(
        subject="S",
        body=f"# Заголовок\n\n{long_paragraph}\n\n[Купить](https://x.example){{.button}}",
        attempt_id=1,
        body_format="markdown",
        brand=brand_of(owner.pk),
    )
    recipient = Recipient(delivery_id=1, client_id=1, email="a@example.org", full_name="Вера")
    parsed = email.message_from_bytes(renderer.render(recipient).data, policy=email.policy.default)
    part = parsed.get_body(("html",))
    assert part["Content-Transfer-Encoding"] == "8bit"
    assert max(len(line) for line in part.get_payload().encode().splitlines()) <= 998
    assert long_paragraph.split()[-1] in part.get_content()
