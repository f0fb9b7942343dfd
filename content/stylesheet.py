"""The CSS of a designed message, cut down to what an email may carry.

Designers style with `style="…"` on elements and a `<style>` block of classes and media
queries. Both are kept, declaration by declaration: a property from an allow-list (no
`position`, so nothing can lay itself over a webmail's own page), a value made only of
plain words, numbers, colours and a few functions (no `expression()`, no escapes that
could spell one), and images through `url()` only where an <img> could load them. In a
`<style>` block only plain rules and `@media` survive: `@import` and `@font-face` fetch
from elsewhere. Anything dropped is reported as a `Removal`, for the message form to tell.

Not a full CSS parser (none is installed, and an email's CSS is simple): it reads
rules, blocks and declarations, and writes them back out in one canonical form, so that
what comes out is only what was checked.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings


class Removal(NamedTuple):
    """Something taken out of a message: `kind` (see content.markup.describe) and what."""

    kind: str
    name: str


PROPERTIES = frozenset(
    {
        *("color", "opacity", "background", "background-color", "background-image"),
        *("background-position", "background-repeat", "background-size"),
        *("border", "border-collapse", "border-spacing", "border-color", "border-style"),
        *("border-width", "border-radius", "box-shadow", "box-sizing", "outline"),
        *(f"border-{side}" for side in ("top", "right", "bottom", "left")),
        *(
            f"border-{side}-{what}"
            for side in ("top", "right", "bottom", "left")
            for what in ("color", "style", "width")
        ),
        *(f"border-{corner}-radius" for corner in ("top-left", "top-right")),
        *(f"border-{corner}-radius" for corner in ("bottom-left", "bottom-right")),
        *("margin", "margin-top", "margin-right", "margin-bottom", "margin-left"),
        *("padding", "padding-top", "padding-right", "padding-bottom", "padding-left"),
        *("width", "min-width", "max-width", "height", "min-height", "max-height"),
        *("display", "float", "clear", "overflow", "vertical-align", "visibility"),
        *("table-layout", "caption-side", "empty-cells", "direction", "unicode-bidi"),
        *("font", "font-family", "font-size", "font-style", "font-weight", "font-variant"),
        *("line-height", "letter-spacing", "word-spacing", "white-space", "word-break"),
        *("word-wrap", "overflow-wrap", "hyphens", "text-align", "text-indent"),
        *("text-decoration", "text-decoration-color", "text-decoration-line"),
        *("text-decoration-style", "text-transform", "text-shadow", "text-overflow"),
        *("list-style", "list-style-type", "list-style-position"),
        *("object-fit", "mso-hide", "mso-line-height-rule", "mso-table-lspace"),
        *("mso-table-rspace", "mso-padding-alt", "-ms-interpolation-mode"),
        *("-ms-text-size-adjust", "-webkit-text-size-adjust", "-webkit-font-smoothing"),
        *("-moz-osx-font-smoothing", "color-scheme", "cursor"),
    }
)
FUNCTIONS = frozenset(
    {
        *("rgb", "rgba", "hsl", "hsla", "calc", "min", "max", "clamp"),
        *("linear-gradient", "radial-gradient", "repeating-linear-gradient"),
        *("repeating-radial-gradient", "-webkit-linear-gradient"),
    }
)
PROPERTY_NAME = re.compile(r"-?[a-z][a-z0-9-]*")
# Backslash escapes could spell a forbidden word; the rest cannot appear in a value
# (braces: nor can a placeholder, {{ name }}, which would fill per recipient).
FORBIDDEN_IN_VALUE = re.compile(r"[\\<>{}@;\x00-\x08\x0b\x0e-\x1f\x7f]|/\*|\*/|&#")
URL = re.compile(r"url\(\s*(['\"]?)([^'\"()\s]*)\1\s*\)", re.IGNORECASE)
FUNCTION = re.compile(r"(-?[a-z_][\w-]*)\s*\(", re.IGNORECASE)
# Type, class, id, attribute, pseudo-class selectors and combinators; nothing that could
# end the block (`<`, braces, `;`, `@`) or hide a character behind an escape.
SELECTOR = re.compile(r"[\w\s.#,>+~*:()\[\]=\"'|^$-]{1,300}")
MEDIA_QUERY = re.compile(r"[\w\s(),:.-]{1,300}")
STRING = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
COMMENT = re.compile(r"/\*.*?(\*/|\Z)", re.DOTALL)


def image_allowed(src: str) -> bool:
    """Images from this site (uploaded for messages, served from SITE_URL) or over https:
    data: and relative ones do not show in mail clients, and a plain-http image from
    elsewhere is a mixed-content warning in webmail and readable on the way."""
    return src.startswith("https://") or src.startswith(settings.SITE_URL + "/")


def _balanced(text: str) -> bool:
    """Quotes closed on their line and parentheses paired: an open string or function
    would carry what follows it (the next rules) into this one, past the checks."""
    depth = 0
    for char in STRING.sub("", text):
        if char in "'\"\n":
            return False
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _value_allowed(value: str) -> bool:
    if not value or FORBIDDEN_IN_VALUE.search(value) or not _balanced(value):
        return False
    urls = list(URL.finditer(value))
    if not all(image_allowed(url[2]) for url in urls):
        return False
    rest = URL.sub("", value)
    return all(name.lower() in FUNCTIONS for name in FUNCTION.findall(rest))


def _split(text: str, separator: str) -> list[str]:
    """`text` cut at `separator` outside quotes and parentheses."""
    pieces, current, quote, depth = [], [], "", 0
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == separator and depth == 0:
            pieces.append("".join(current))
            current = []
            continue
        current.append(char)
    pieces.append("".join(current))
    return pieces


def declarations(text: str, removed: Callable[[Removal], None]) -> list[str]:
    """The allowed `property:value` declarations of a style attribute or a rule's block,
    each removed one reported."""
    kept = []
    for declaration in _split(text, ";"):
        name, colon, value = declaration.partition(":")
        name, value = name.strip().lower(), " ".join(value.split())
        if not name and not value:
            continue
        if not colon or not PROPERTY_NAME.fullmatch(name) or name not in PROPERTIES:
            removed(Removal("css_property", name[:40] or "?"))
        elif not _value_allowed(value):
            removed(Removal("css_value", name))
        else:
            kept.append(f"{name}:{value}")
    return kept


def style_attribute(value: str, removed: Callable[[Removal], None]) -> str | None:
    """A style attribute's value with only allowed declarations, or None when none is."""
    kept = declarations(COMMENT.sub(" ", value), removed)
    return ";".join(kept) or None


@dataclass(frozen=True)
class Rule:
    selector: str
    declarations: tuple[str, ...]
    media: str = ""  # the query of the @media block it is in

    @property
    def inlinable(self) -> bool:
        """Whether a style attribute can say the same: not in a media query, not for a
        state (:hover) or a part (::before) of an element."""
        return not self.media and ":" not in self.selector

    def css(self) -> str:
        return f"{self.selector} {{ {'; '.join(self.declarations)} }}"


def _block_end(text: str, start: int) -> int:
    """The index of the `}` closing the block opened just before `start` (or the end)."""
    depth, quote = 1, ""
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            quote = "" if char in (quote, "\n") else quote
        elif char in "'\"":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
    return len(text)


def _rules(text: str, removed: Callable[[Removal], None], media: str = "") -> list[Rule]:
    rules: list[Rule] = []
    position, opening = 0, -1
    while position < len(text):
        if opening < position:  # found once for all the statements before it
            opening = text.find("{", position)
            opening = len(text) if opening < 0 else opening
        semicolon = text.find(";", position, opening)
        if semicolon >= 0 or opening == len(text):
            # A statement (@import, @charset) or a trailing fragment: never a rule.
            statement = text[position : opening if semicolon < 0 else semicolon].strip()
            if statement.startswith("@"):
                removed(Removal("css_rule", statement.split()[0][:40]))
            if semicolon < 0:
                break
            position = semicolon + 1
            continue
        end = _block_end(text, opening + 1)
        rules += _rule(text[position:opening], text[opening + 1 : end], removed, media)
        position = end + 1
    return rules


def _rule(head: str, block: str, removed: Callable[[Removal], None], media: str) -> list[Rule]:
    head = " ".join(head.split()).lstrip("}; ")
    if head.startswith("@"):
        keyword, _space, query = head.partition(" ")
        if keyword.lower() != "@media" or media:
            removed(Removal("css_rule", keyword[:40]))
            return []
        if not MEDIA_QUERY.fullmatch(query) or not _balanced(query):
            removed(Removal("css_rule", "@media"))
            return []
        return _rules(block, removed, media=query)
    if not head:
        return []
    if not SELECTOR.fullmatch(head) or not _balanced(head):
        removed(Removal("css_selector", head[:40]))
        return []
    kept = declarations(block, removed)
    return [Rule(head, tuple(kept), media)] if kept else []


def stylesheet(text: str, removed: Callable[[Removal], None]) -> list[Rule]:
    """The allowed rules of the CSS in `text` (the content of <style> blocks)."""
    text = COMMENT.sub(" ", text).replace("<!--", " ").replace("-->", " ")
    return _rules(text, removed)


def css_text(rules: list[Rule]) -> str:
    """`rules` written back as CSS, one per line, media queries grouped in order."""
    lines: list[str] = []
    media = None
    for rule in rules:
        if rule.media != media:
            if media:
                lines.append("}")
            if rule.media:
                lines.append(f"@media {rule.media} {{")
            media = rule.media
        lines.append(("  " if rule.media else "") + rule.css())
    if media:
        lines.append("}")
    return "\n".join(lines)
