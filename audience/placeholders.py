"""Placeholders in a message: `{{ full_name }}`, `{{ city }}`, `{{ city | "друг" }}`.

Plain substitution, never a template engine on user text: a text is cut once per run
into literal pieces and slots (a name and its fallback), and each recipient's email is
the pieces joined with its values. A slot takes the recipient's value of its name, or
the fallback when the recipient has none (or an empty one).
"""

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.utils.safestring import SafeData
from django.utils.translation import gettext as _

# The fallback is quoted: straight quotes, or the typographic ones an editor puts in.
_FALLBACK = r'"(?P<straight>[^"{}]*)"|“(?P<curly>[^”{}]*)”|«(?P<guillemets>[^»{}]*)»'
PLACEHOLDER = re.compile(r"\{\{\s*(?P<name>[a-z0-9_]+)\s*(?:\|\s*(?:" + _FALLBACK + r")\s*)?\}\}")
# In sanitised HTML a straight quote may come back as an entity.
HTML_PLACEHOLDER = re.compile(
    r"\{\{\s*(?P<name>[a-z0-9_]+)\s*(?:\|\s*(?:"
    + _FALLBACK
    + r"|&quot;(?P<entity>(?:(?!&quot;)[^{}])*)&quot;)\s*)?\}\}"
)
# Anything a writer may have meant as a placeholder, well formed or not.
BRACES = re.compile(r"\{\{(?:(?!\}\}).){0,200}?\}\}", re.DOTALL)
BUILT_IN_NAMES = ("full_name", "email")


@dataclass(frozen=True, slots=True)
class Slot:
    name: str
    fallback: str


def _slot(match: re.Match, *, unescape: bool) -> Slot:
    groups = match.groupdict()
    fallback = next(
        (
            groups[kind]
            for kind in ("straight", "curly", "guillemets", "entity")
            if groups.get(kind)
        ),
        "",
    )
    return Slot(match["name"], html.unescape(fallback) if unescape else fallback)


def compile_text(text: str, *, is_html: bool = False) -> list:
    """Literal text at even positions, Slots at odd ones. In HTML the fallback is read
    back from its entities, so that filling escapes it once like any value."""
    pattern = HTML_PLACEHOLDER if is_html else PLACEHOLDER
    parts: list = []
    position = 0
    for match in pattern.finditer(text):
        parts.append(text[position : match.start()])
        parts.append(_slot(match, unescape=is_html))
        position = match.end()
    parts.append(text[position:])
    return parts


def fill(
    parts: list, values: Mapping[str, str], transform: Callable[[str], str] | None = None
) -> str:
    """The text with every slot replaced by its value (or fallback), `transform`ed."""
    if len(parts) == 1:
        return parts[0]
    pieces = []
    for index, part in enumerate(parts):
        if index % 2:
            value = values.get(part.name) or part.fallback
            if not isinstance(value, str):
                value = str(value)
            # Values marked safe (tracked addresses) are already what the HTML needs.
            pieces.append(
                transform(value) if transform and not isinstance(value, SafeData) else value
            )
        else:
            pieces.append(part)
    return "".join(pieces)


def unknown_placeholders(text: str, known: set[str] | frozenset[str]) -> list[str]:
    """The `{{ … }}` of a text that are not a placeholder of a known name, as written."""
    unknown = []
    for braces in BRACES.finditer(text):
        match = PLACEHOLDER.fullmatch(braces.group())
        if (match is None or match["name"] not in known) and braces.group() not in unknown:
            unknown.append(braces.group())
    return unknown


def unknown_placeholders_message(unknown: list[str], known: list[str]) -> str:
    return _("Unknown placeholders: %(unknown)s. You can use: %(known)s.") % {
        "unknown": ", ".join(unknown[:10]),
        "known": ", ".join(f"{{{{ {name} }}}}" for name in known),
    }
