"""Markdown is rendered, and nothing from a post can run script in a reader's browser."""

import pytest

from blog.rendering import render_markdown
from blog.tests.factories import PostFactory


def test_it_renders_markdown():
    html = render_markdown("## Title\n\n- one\n- two\n\n> quote\n\n`code` and *em*")
    assert "<h2>Title</h2>" in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert "<blockquote>" in html
    assert "<code>code</code>" in html and "<em>em</em>" in html


def test_it_renders_fenced_code_and_tables():
    html = render_markdown("```python\nprint(1)\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert '<code class="language-python">print(1)' in html
    assert "<table>" in html and "<td>1</td>" in html


@pytest.mark.parametrize(
    "source",
    [
        "<script>window.__xss=1</script>",
        "text <script src='https://evil.example/x.js'></script>",
        '<img src=x onerror="window.__xss=1">',
        '<a href="#" onclick="window.__xss=1">click</a>',
        "[click](javascript:window.__xss=1)",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<iframe src="https://evil.example"></iframe>',
        '<svg onload="window.__xss=1"></svg>',
        "<style>body{display:none}</style>",
        '<p style="background:url(javascript:alert(1))">x</p>',
        '<form action="https://evil.example"><input name=a></form>',
    ],
)
def test_it_removes_everything_that_could_run(source):
    html = render_markdown(source).lower()
    for needle in (
        "<script",
        "onerror",
        "onclick",
        "onload",
        "javascript:",
        "<iframe",
        "<svg",
        "<style",
        "style=",
        "<form",
        "<input",
        "__xss",
        "evil.example",
    ):
        assert needle not in html


def test_links_get_rel_noopener_nofollow():
    html = render_markdown("[site](https://example.com)")
    assert html == '<p><a href="https://example.com" rel="noopener nofollow">site</a></p>'


def test_it_keeps_images_from_our_media_only(settings):
    html = render_markdown("![ours](/media/blog/a.png) ![theirs](https://tracker.example/p.gif)")
    assert 'src="/media/blog/a.png"' in html
    assert "tracker.example" not in html


@pytest.mark.django_db
def test_the_post_page_shows_the_sanitised_body(client):
    post = PostFactory(body="Hello <script>window.__xss=1</script> **world**")
    page = client.get(f"/blog/{post.pk}/").content.decode()
    assert "<strong>world</strong>" in page
    assert "__xss" not in page


def test_the_excerpt_reads_the_paragraphs_only():
    post = PostFactory.build(
        body="## Heading\n\nFirst *words* here.\n\n| Code | Meaning |\n| --- | --- |\n"
        "| 5xx | failed |\n\n```\nsend()\n```\n\nThen more &amp; words."
    )
    post.body_html = render_markdown(post.body)
    assert post.excerpt == "First words here. Then more & words."


def test_a_text_without_paragraphs_still_has_an_excerpt():
    post = PostFactory.build(body="- one\n- two")
    post.body_html = render_markdown(post.body)
    assert post.excerpt.split() == ["one", "two"]
