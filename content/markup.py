"""Rich message bodies: Markdown or pasted HTML made safe for an email, styled as
designed, and the plain-text part derived from it.

Everything goes through nh3 (an allow-list sanitiser) with an email allowlist: no script,
no event handlers, no `javascript:` links, no <iframe>, <form> or <link>, only
http(s)/mailto links, images only over https or from SITE_URL. A designer's styles stay:
style attributes and the rules of <style> blocks, each declaration checked by
content.stylesheet. A pasted HTML body is stored cleaned (what is stored is what is
sent) and the form tells what was taken out (`clean`, `describe`); the renderer cleans
again (`email_body`) for bodies written before or past the form.

In the email, the rules are inlined into style attributes (css-inline), for the clients
and gateways that drop <style> or clip it; only what a style attribute cannot hold,
media queries and :hover, goes to a <style> in <head>, for the clients that honour it
(Gmail, Apple Mail, Outlook.com). A second copy of the inlined rules there would only
double the email, and a client that reads <style> reads style attributes too. Our own
defaults (headings, paragraphs, buttons) come first and with the lowest specificity, so
a designer's classes and style attributes win over them.

Placeholders ({{ full_name }}) survive in the text and are filled per recipient by
content.renderer, escaped; in attributes (a link's address) and CSS they are removed, so
a recipient's name can never become a link target or a style.
"""

import re
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser

from django.utils.translation import gettext as _

from .stylesheet import Removal, Rule, css_text, image_allowed, style_attribute, stylesheet

# Characters the message form takes: a long newsletter is ~20,000; a 10 MB paste is a
# mistake, refused beside the field (the engine renders whatever was stored).
MAX_BODY_CHARS = 200_000

ALLOWED_TAGS = {
    *("h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "ul", "ol", "li", "a", "img"),
    *("strong", "em", "b", "i", "u", "s", "del", "code", "pre", "blockquote", "span", "div"),
    *("small", "sub", "sup", "strike", "mark", "abbr", "q", "cite", "big", "font", "center"),
    *("table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col"),
    *("dl", "dt", "dd", "section", "article", "header", "footer", "main", "figure"),
    "figcaption",
}
# Attributes a designed email sets on any element: layout (the tables' old attributes,
# which Outlook reads), classes and ids for the <style> rules, the checked style.
ALLOWED_ATTRIBUTES = {
    "*": {"style", "class", "id", "align", "valign", "width", "height", "bgcolor", "border"},
    "a": {"href", "target", "name", "title"},
    "img": {"src", "alt", "title", "hspace", "vspace"},
    "table": {"cellpadding", "cellspacing", "role", "dir", "summary"},
    "td": {"colspan", "rowspan", "nowrap", "dir"},
    "th": {"colspan", "rowspan", "nowrap", "scope", "dir"},
    "font": {"color", "face", "size"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type"},
    "ul": {"type"},
    "div": {"dir", "lang", "role"},
    "span": {"dir", "lang"},
    "p": {"dir", "lang"},
}
# A pasted document's frame: the email has its own, so these go without a word.
FRAME_TAGS = {"html", "head", "body", "meta", "title"}
LINK_SCHEMES = {"http", "https", "mailto"}
SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):", re.IGNORECASE)
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
        # A button is a link with class "button" (Markdown's {.button}).
        "a.button": (
            f"display:inline-block;padding:12px 20px;border-radius:6px;background:{accent};"
            "color:#ffffff;text-decoration:none;font-weight:bold"
        ),
    }


def _default_rules(accent: str) -> list[Rule]:
    """Our styles as rules of the lowest specificity. `accent` is a validated #RRGGBB."""
    return [Rule(tag, tuple(style.split(";"))) for tag, style in _styles(accent).items()]


WRAPPER_STYLE = (
    "max-width:600px;margin:0 auto;padding:16px 0;font-family:Arial,Helvetica,sans-serif;"
    "font-size:16px;line-height:1.5;word-wrap:break-word"
)

# What the attribute filter takes out during one `clean`, for the form to tell.
_removals: ContextVar[list[Removal] | None] = ContextVar("removals", default=None)


def _removed(removal: Removal) -> None:
    found = _removals.get()
    if found is not None:
        found.append(removal)


def _without_placeholders(value: str) -> str:
    """`value` without anything between {{ and }}: found by hand, in one pass, where a
    regular expression would take quadratic time over a run of unclosed braces."""
    kept, position = [], 0
    while (start := value.find("{{", position)) >= 0:
        end = value.find("}}", start + 2)
        if end < 0:
            break
        kept.append(value[position:start])
        position = end + 2
    kept.append(value[position:])
    return "".join(kept)


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "style":
        return style_attribute(value, _removed)
    if tag == "img" and attribute == "src" and not image_allowed(value):
        _removed(Removal("image", " ".join(value.split())[:60]))
        return None
    value = _without_placeholders(value)
    return value or None


@cache
def _cleaner():
    # nh3 and markdown load at the first body made: the engine's pass imports the
    # renderer, and a pass with nothing due makes none.
    import nh3

    from .stylesheet import PROPERTIES

    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "head", "title", "noscript", "template"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        # After the filter, nh3's own reading of each style attribute: a second lock.
        filter_style_properties=PROPERTIES,
        link_rel="noopener",
        url_schemes=LINK_SCHEMES,
    )


# What the inventory's reading keeps, to name it when the cleaner takes it out; tags and
# link schemes beyond these go unnamed (and are taken out all the same).
NAMED_TAGS = {
    *ALLOWED_TAGS,
    *FRAME_TAGS,
    *("style", "script", "noscript", "template", "link", "base", "iframe", "frame"),
    *("frameset", "object", "embed", "applet", "form", "input", "button", "select"),
    *("textarea", "label", "svg", "math", "audio", "video", "source", "canvas", "map"),
    *("area", "picture", "xml", "marquee", "nav", "aside", "details", "summary", "dialog"),
}
NAMED_SCHEMES = {*LINK_SCHEMES, "javascript", "vbscript", "data", "file", "ftp", "tel", "sms"}


@cache
def _reading_cleaner():
    """A cleaner that keeps all it knows: html5ever's reading of a body, well formed, for
    the inventory. Python's HTMLParser is not given raw input: it takes quadratic time
    over some malformed markup (thousands of unclosed comments: a minute for 200 KB)."""
    import nh3

    return nh3.Cleaner(
        tags=NAMED_TAGS,
        clean_content_tags=set(),
        generic_attribute_prefixes={""},
        strip_comments=False,
        link_rel=None,
        url_schemes=NAMED_SCHEMES,
    )


class _Inventory(HTMLParser):
    """What a body holds that the cleaner will take out, and its <style> text; fed with
    `_reading_cleaner`'s output."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.css: list[str] = []
        self.removed: list[Removal] = []
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        if tag == "style":
            self.in_style = True
            return
        if tag not in ALLOWED_TAGS:
            if tag not in FRAME_TAGS:
                self.removed.append(Removal("tag", tag))
            return
        allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}
        for name, value in attrs:
            if name not in allowed:
                self.removed.append(Removal("attribute", name))
            elif name == "href" and not _link_allowed(value or ""):
                self.removed.append(Removal("link", " ".join((value or "").split())[:60]))

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if self.in_style:
            self.css.append(data)

    def handle_comment(self, data):
        # <!--[if mso]>…<![endif]-->: markup for Outlook alone, which nothing could check.
        if data.lstrip().lower().startswith("[if"):
            self.removed.append(Removal("comment", "[if]"))


def _link_allowed(href: str) -> bool:
    scheme = SCHEME.match("".join(char for char in href if char > " "))
    return scheme is None or scheme[1].lower() in LINK_SCHEMES


@dataclass(frozen=True)
class Cleaned:
    """A body as it may go out: the markup without <style>, the checked rules of its
    <style> blocks, and what was taken out (each thing once, in order)."""

    html: str
    rules: tuple[Rule, ...]
    removed: tuple[Removal, ...]

    @property
    def stored(self) -> str:
        """One <style> block with the rules, then the markup: what the form saves."""
        css = css_text(list(self.rules))
        return f"<style>\n{css}\n</style>\n{self.html}" if css else self.html


def clean(source: str) -> Cleaned:
    """`source` (HTML, a fragment or a whole document) cleaned for an email."""
    inventory = _Inventory()
    inventory.feed(_reading_cleaner().clean(source))
    inventory.close()
    found: list[Removal] = []
    token = _removals.set(found)
    try:
        rules = stylesheet("\n".join(inventory.css), found.append)
        markup = _cleaner().clean(source)
    finally:
        _removals.reset(token)
    return Cleaned(markup.strip(), tuple(rules), tuple(dict.fromkeys(inventory.removed + found)))


def as_html(body: str, body_format: str) -> str:
    """The body's HTML before cleaning: Markdown converted, HTML as written."""
    if body_format != "markdown":
        return body
    import markdown

    return markdown.markdown(
        body, extensions=["extra", "sane_lists", "attr_list"], output_format="html"
    )


REMOVED_SHOWN = 12


def describe(removed: tuple[Removal, ...]) -> str:
    """What was taken out, for people: "<script>, onclick attribute, CSS property …"."""
    kinds = {
        "tag": "<%(name)s>",
        "attribute": _("%(name)s attribute"),
        "css_property": _("CSS property %(name)s"),
        "css_value": _("a value of CSS property %(name)s"),
        "css_rule": _("CSS rule %(name)s"),
        "css_selector": _("CSS selector %(name)s"),
        "image": _("image %(name)s (images show over https only)"),
        "link": _("link %(name)s"),
        "comment": _("Outlook conditional comments"),
    }
    named = [kinds[removal.kind] % {"name": removal.name} for removal in removed]
    if len(named) > REMOVED_SHOWN:
        more = len(named) - REMOVED_SHOWN
        named = [*named[:REMOVED_SHOWN], _("and %(count)s more") % {"count": more}]
    return ", ".join(named)


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


@dataclass(frozen=True)
class EmailBody:
    html: str  # the fragment for the email's body, styles inlined
    head_css: str  # the rules a style attribute cannot hold, for a <style> in <head>


def email_body(body: str, body_format: str, *, accent: str = ACCENT) -> EmailBody:
    """The body (format "markdown" or "html") sanitised, styled and inlined."""
    import css_inline  # here: the engine's pass imports this module, and may send nothing

    cleaned = clean(as_html(body, body_format))
    rules = [*_default_rules(accent), *cleaned.rules]
    inlined = css_inline.inline_fragment(
        cleaned.html,
        css_text([rule for rule in rules if rule.inlinable]),
        load_remote_stylesheets=False,
    )
    # Cleaned once more: whatever the inliner wrote passes the same checks.
    fragment = _cleaner().clean(inlined)
    return EmailBody(
        html=folded(f'<div style="{WRAPPER_STYLE}">{fragment}</div>'),
        head_css=css_text([rule for rule in cleaned.rules if not rule.inlinable]),
    )


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
