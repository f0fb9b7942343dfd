"""Markdown to HTML that is safe to show to every reader.

Posts are written by content managers, but a compromised or careless account must not
be able to run script in readers' browsers: Markdown passes raw HTML through, so its
output goes through nh3 (an allow-list sanitiser) before it is stored.
"""

from functools import cache

import markdown
import nh3
from django.conf import settings

ALLOWED_TAGS = {
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "br",
    "hr",
    "ul",
    "ol",
    "li",
    "a",
    "strong",
    "em",
    "b",
    "i",
    "del",
    "code",
    "pre",
    "blockquote",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "th": {"align"},
    "td": {"align"},
}


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Images only from our own media: a remote image would tell a third party who reads.
    if tag == "img" and attribute == "src" and not value.startswith(settings.MEDIA_URL):
        return None
    return value


@cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        link_rel="noopener nofollow",
        url_schemes={"http", "https", "mailto"},
        set_tag_attribute_values={"img": {"loading": "lazy"}},
    )


def render_markdown(text: str) -> str:
    """Render a post's Markdown body to sanitised HTML."""
    html = markdown.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    return _cleaner().clean(html)
