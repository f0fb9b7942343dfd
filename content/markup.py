"""Rich message bodies: Markdown or pasted HTML made safe for an email, and the plain-text
part derived from it.

Everything goes through nh3 (an allow-list sanitiser) with an email allowlist: no script,
no event handlers, no `javascript:` links, no <style>, <link> or style attributes (remote
CSS and tracking through CSS), only http(s)/mailto links, images only over https or from
SITE_URL. Our own inline styles are added after cleaning, so that the email reads well
in clients that drop <style> and on a 320 px screen. Placeholders ({{ full_name }})
survive in the text and are filled per recipient by content.renderer, escaped; in
attributes (a link's address) they are removed, so a recipient's name can never become
a link target.
"""

import re
from functools import cache
from html.parser import HTMLParser

from django.conf import settings

# Characters the message form takes: a long newsletter is ~20,000; a 10 MB paste is a
# mistake, refused beside the field (the engine renders whatever was stored).
MAX_BODY_CHARS = 200_000
PLACEHOLDER_ANYWHERE = re.compile(r"\{\{.*?\}\}")

ALLOWED_TAGS = {
    *("h1", "h2", "h3", "h4", "p", "br", "hr", "ul", "ol", "li", "a", "img"),
    *("strong", "em", "b", "i", "u", "s", "del", "code", "pre", "blockquote", "span", "div"),
    *("table", "thead", "tbody", "tr", "th", "td"),
}
ALLOWED_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "th": {"align"},
    "td": {"align"},
}
ACCENT = "#0d6efd"


def _styles(accent: str) -> dict[str, str]:
    return {
        "a": f"color:{accent}",
        "img": "max-width:100%;height:auto;border:0",
        "h1": "font-size:24px;line-height:1.25;margin:0 0 16px",
        "h2": "font-size:20px;line-height:1.3;margin:24px 0 12px",
        "h3": "font-size:17px;line-height:1.3;margin:20px 0 8px",
        "p": "margin:0 0 16px",
        "blockquote": "margin:0 0 16px;padding-left:12px;border-left:3px solid #ccc",
        "pre": "white-space:pre-wrap;word-break:break-word",
        "table": "border-collapse:collapse;max-width:100%",
    }


def _button_style(accent: str) -> str:
    return (
        f"display:inline-block;padding:12px 20px;border-radius:6px;background:{accent};"
        "color:#ffffff;text-decoration:none;font-weight:bold"
    )


BUTTON = re.compile(r'<a ([^>]*)class="button"([^>]*)>')
STYLED_TAG = re.compile(r"<(" + "|".join(_styles(ACCENT)) + r")\b")
WRAPPER_STYLE = (
    "max-width:600px;margin:0 auto;padding:16px 0;font-family:Arial,Helvetica,sans-serif;"
    "font-size:16px;line-height:1.5;word-wrap:break-word"
)


def _image_allowed(src: str) -> bool:
    """Images from this site (uploaded for messages, served from SITE_URL) or over https:
    data: and relative ones do not show in mail clients, and a plain-http image from
    elsewhere is a mixed-content warning in webmail and readable on the way."""
    return src.startswith("https://") or src.startswith(settings.SITE_URL + "/")


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not _image_allowed(value):
        return None
    value = PLACEHOLDER_ANYWHERE.sub("", value)
    return value or None


@cache
def _cleaner():
    # nh3 and markdown load at the first body made: the engine's pass imports the
    # renderer, and a pass with nothing due makes none.
    import nh3

    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "head", "title", "noscript", "template"},
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes={"a": {"button"}},
        attribute_filter=_keep_attribute,
        link_rel="noopener",
        url_schemes={"http", "https", "mailto"},
    )


def _styled(clean: str, accent: str) -> str:
    """Inline styles after cleaning: mail clients drop <style>, and users may not style.
    `accent` is a validated #RRGGBB colour."""
    styles = _styles(accent)
    link = f'style="{styles["a"]}"'
    styled = STYLED_TAG.sub(lambda m: f'<{m.group(1)} style="{styles[m.group(1)]}"', clean)
    # A button is a link with class "button": its style replaces the link's.
    return BUTTON.sub(
        lambda m: (
            "<a "
            + m.group(1).replace(f"{link} ", "")
            + f'class="button" style="{_button_style(accent)}"'
            + m.group(2).replace(f" {link}", "")
            + ">"
        ),
        styled,
    )


# Lines of an email may not pass 998 bytes; Django then encodes the whole part as
# quoted-printable, which costs several times the CPU of 8bit on every email sent.
FOLD_BYTES = 900
FOLD_CHARS = 200  # at most 4 bytes each: a folded line stays well under the limit


def folded(text: str) -> str:
    """`text` with long lines broken at spaces (whitespace either way in HTML). Lines in
    <pre> keep their length: there a break would show."""
    if "<pre" in text:
        return text
    lines = []
    for line in text.split("\n"):
        while len(line.encode()) > FOLD_BYTES:
            cut = line.rfind(" ", 1, FOLD_CHARS)
            if cut < 0:
                cut = line.find(" ", FOLD_CHARS)
            if cut < 0:
                break  # one unbroken word: quoted-printable, still correct
            lines.append(line[:cut])
            line = line[cut + 1 :]
        lines.append(line)
    return "\n".join(lines)


def email_html(body: str, body_format: str, *, accent: str = ACCENT) -> str:
    """The body (format "markdown" or "html") as a sanitised, inline-styled HTML fragment."""
    if body_format == "markdown":
        import markdown

        source = markdown.markdown(
            body, extensions=["extra", "sane_lists", "attr_list"], output_format="html"
        )
    else:
        source = body
    styled = _styled(_cleaner().clean(source), accent)
    return folded(f'<div style="{WRAPPER_STYLE}">{styled}</div>')


class _TextWriter(HTMLParser):
    """Readable plain text from our cleaned HTML: blocks on their own lines, list items
    with a dash, a link's address after its text, an image by its alt text."""

    BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "blockquote", "pre", "table", "ul", "ol"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.links: list[str | None] = []
        self.pre = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in self.BLOCKS:
            self.out.append("\n\n")
        elif tag in ("br", "tr"):
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag == "hr":
            self.out.append("\n\n----------\n\n")
        elif tag == "td" or tag == "th":
            self.out.append("  ")
        elif tag == "img" and attributes.get("alt"):
            self.out.append(f"[{attributes['alt']}]")
        if tag == "a":
            self.links.append(attributes.get("href"))
        if tag == "pre":
            self.pre += 1

    def handle_endtag(self, tag):
        if tag == "a" and self.links:
            href = self.links.pop()
            if href and not href.startswith("mailto:"):
                self.out.append(f" ({href})")
        elif tag in self.BLOCKS:
            self.out.append("\n\n")
        if tag == "pre":
            self.pre = max(0, self.pre - 1)

    def handle_data(self, data):
        self.out.append(data if self.pre else re.sub(r"\s+", " ", data))

    def text(self) -> str:
        joined = "".join(self.out)
        lines = [line.strip() for line in joined.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def email_text(fragment: str) -> str:
    """The plain-text part of an HTML fragment made by `email_html`."""
    writer = _TextWriter()
    writer.feed(fragment)
    writer.close()
    return writer.text()
