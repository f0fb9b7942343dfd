"""Rich bodies: Markdown and pasted HTML become email-safe HTML and a readable text part;
placeholders stay plain substitution, escaped in HTML, never a link target."""

import re

import pytest

from content.markup import email_body, email_text
from content.renderer import Recipient, Renderer, preview_of


def email_html(body: str, body_format: str) -> str:
    return email_body(body, body_format).html


HOSTILE = [
    "<script>alert(1)</script>",
    '<img src="https://x.example/a.png" onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    '<style>@import url("https://evil.example/x.css");</style>',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    # CSS may show an image where an <img> could (https), never fetch over plain http.
    '<p style="background:url(http://evil.example/track)">x</p>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<p style="width:expression(alert(1))">x</p>',
    "<style>p{background:url(http://evil.example/t)}</style><p>x</p>",
    '<div onclick="steal()" onmouseover="steal()">x</div>',
    '<iframe src="https://evil.example/"></iframe>',
    '<form action="https://evil.example/"><input name="password"></form>',
    '<svg onload="alert(1)"><circle r="5"/></svg>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "<base href='https://evil.example/'>",
]


@pytest.mark.parametrize("body_format", ["markdown", "html"])
@pytest.mark.parametrize("hostile", HOSTILE)
def test_nothing_active_survives(hostile, body_format):
    fragment = email_html(hostile, body_format).lower()
    for banned in (
        "<script",
        "onerror",
        "onclick",
        "onmouseover",
        "onload",
        "javascript:",
        "data:text",
        "evil.example",
        "<style",
        "<link",
        "<iframe",
        "<form",
        "<input",
        "<svg",
        "<meta",
        "<base",
    ):
        assert banned not in fragment, banned


def test_markdown_gives_headings_lists_links_images_and_buttons():
    fragment = email_html(
        "# Title\n\n- one\n- two\n\n[site](https://example.com)\n\n"
        "![logo](https://example.com/logo.png)\n\n[Buy](https://shop.example.com){.button}",
        "markdown",
    )
    assert fragment.count("<li>") == 2
    assert '<h1 style="' in fragment
    assert 'href="https://example.com"' in fragment
    assert 'src="https://example.com/logo.png"' in fragment and "max-width:100%" in fragment
    assert re.search(r'<a class="button" [^>]*style="[^"]*display:inline-block', fragment)


@pytest.mark.parametrize("body_format", ["markdown", "html"])
def test_images_come_over_https_or_from_this_site_only(body_format, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    sources = {
        "https://cdn.example/a.png": True,
        "http://127.0.0.1:8000/media/message-images/1/b.png": True,
        "http://tracker.example/pixel.gif": False,
        "http://127.0.0.1:8000.evil.example/c.png": False,
        "data:image/png;base64,iVBORw0KGgo=": False,
        "/media/relative.png": False,
    }
    if body_format == "markdown":
        body = "\n\n".join(f"![]({src})" for src in sources)
    else:
        body = "".join(f'<img src="{src}">' for src in sources)
    fragment = email_html(body, body_format)
    for src, kept in sources.items():
        assert (f'src="{src}"' in fragment) is kept, src


def test_the_text_part_is_derived_from_the_html():
    fragment = email_html(
        "# Title\n\nHello **there**, see [site](https://example.com).\n\n- one\n- two",
        "markdown",
    )
    assert email_text(fragment) == (
        "Title\n\nHello there, see site (https://example.com).\n\n- one\n- two"
    )


def render(body: str, body_format: str, *, full_name: str, email: str = "a@example.org"):
    renderer = Renderer(subject="S", body=body, attempt_id=1, body_format=body_format)
    recipient = Recipient(delivery_id=1, client_id=1, email=email, full_name=full_name)
    return preview_of(renderer, recipient)


@pytest.mark.parametrize("body_format", ["markdown", "html"])
def test_placeholder_values_are_escaped_in_html(body_format):
    body = "<p>Hi {{ full_name }}</p>" if body_format == "html" else "Hi {{ full_name }}"
    email = render(body, body_format, full_name='<img src=x onerror="alert(1)"> & {{ email }}')
    assert "Hi &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; {{ email }}" in email.html
    assert 'Hi <img src=x onerror="alert(1)"> & {{ email }}' in email.text


def test_a_placeholder_never_becomes_a_link_target():
    email = render(
        '<a href="{{ full_name }}">go</a> <a href="https://x.example/?u={{ email }}">x</a>',
        "html",
        full_name="javascript:alert(1)",
    )
    assert "javascript:" not in email.html
    assert 'href="https://x.example/?u="' in email.html


def test_plain_bodies_are_unchanged():
    email = render("Hi {{ full_name }}\n\nhttps://example.com", "plain", full_name="Ann <b>")
    assert "<p>Hi Ann &lt;b&gt;</p>" in email.html
    assert '<a href="https://example.com">' in email.html
