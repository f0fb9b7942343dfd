"""Rewriting a run's message for tracking, once per run: each http(s) link of the text
and HTML parts becomes a slot the renderer fills per recipient with a tracked address,
and the HTML gets an open pixel. The per-recipient cost is one HMAC per link.

The renderer's parts are lists with literal text at even positions and placeholder
slots at odd ones; link slots are added as more slots (`link:<n>`), so that the same
fill that puts in `{{ full_name }}` puts in the links.

The tokens of tracked links and open pixels (which tracking's views verify): what they
are for, signed.

`<mode>.<run>.<delivery>[.<link>].<mac>`, numbers in base 36 and a 96-bit HMAC-SHA256
of them and of the kind, so that a pixel's token is no link's and nothing in the address
can be changed: the target comes from the link row the token names, never from the
request, so there is no open redirect. Short, because a newsletter carries one per link
per recipient. SECRET_KEY_FALLBACKS still verify, so rotating the key breaks no email.
"""

import base64
import hashlib
import hmac
import html
import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.http import base36_to_int, int_to_base36
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.models import Tracking
from audience.placeholders import Slot

from .models import Link


class Kind(models.TextChoices):
    """What a token is for (and a hit was: tracking.models.Hit)."""

    OPEN = "o", _("Open")
    CLICK = "c", _("Click")


MAC_BYTES = 12
MODES = {Tracking.AGGREGATE: "a", Tracking.RECIPIENT: "r"}
MODE_OF_LETTER = {letter: mode for mode, letter in MODES.items()}


@lru_cache(maxsize=8)
def _key(secret: str) -> bytes:
    return hashlib.sha256(b"rassylka.tracking:" + secret.encode()).digest()


def _mac(key: bytes, kind: str, payload: str) -> str:
    digest = hmac.new(key, f"{kind}:{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:MAC_BYTES]).decode()


@dataclass(frozen=True)
class Target:
    kind: str
    mode: str
    attempt_id: int
    delivery_id: int
    link_id: int | None = None


class Signer:
    """Makes the tokens of one run; built once, a few microseconds per token."""

    def __init__(self, *, attempt_id: int, mode: str):
        self.prefix = f"{MODES[mode]}.{int_to_base36(attempt_id)}."
        self.key = _key(settings.SECRET_KEY)

    def open_token(self, delivery_id: int) -> str:
        payload = self.prefix + int_to_base36(delivery_id)
        return f"{payload}.{_mac(self.key, Kind.OPEN, payload)}"

    def click_token(self, delivery_id: int, link_id: int) -> str:
        payload = f"{self.prefix}{int_to_base36(delivery_id)}.{int_to_base36(link_id)}"
        return f"{payload}.{_mac(self.key, Kind.CLICK, payload)}"


def target_of(token: str, kind: str) -> Target | None:
    """What a token of `kind` was made for, or None when we did not make it."""
    payload, _dot, mac = token.rpartition(".")
    parts = payload.split(".")
    numbers_expected = 3 if kind == Kind.CLICK else 2
    if not token.isascii() or len(parts) != 1 + numbers_expected or parts[0] not in MODE_OF_LETTER:
        return None
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    if not any(hmac.compare_digest(mac, _mac(_key(s), kind, payload)) for s in secrets):
        return None
    try:
        numbers = [base36_to_int(part) for part in parts[1:]]
    except ValueError:
        return None
    return Target(kind, MODE_OF_LETTER[parts[0]], *numbers)


# A link's target in our sanitised HTML (nh3 and _html_block always quote with ").
HREF = re.compile(r'(href=")(https?://[^"]+)(")')
SLOT = "link:"
TOKEN_MARK = "TOKEN"


def _site_prefix(view: str) -> tuple[str, str]:
    before, after = (settings.SITE_URL + reverse(view, args=[TOKEN_MARK])).split(TOKEN_MARK)
    return before, after


class Tracker:
    """The tracked links and pixel of one run (`mode` aggregate or recipient)."""

    def __init__(self, *, attempt_id: int, mode: str):
        self.attempt_id = attempt_id
        self.mode = mode
        self.signer = Signer(attempt_id=attempt_id, mode=mode)
        self.urls: list[str] = []
        self.link_ids: list[int] = []
        self.click_prefix, self.click_suffix = _site_prefix("tracking:click")
        self.open_prefix, self.open_suffix = _site_prefix("tracking:open")

    def _slot(self, url: str) -> Slot:
        if url not in self.urls:
            self.urls.append(url)
        return Slot(f"{SLOT}{self.urls.index(url)}", "")

    def _rewrite(self, parts: list, pattern: re.Pattern, url_of) -> list:
        rewritten: list = []
        for index, part in enumerate(parts):
            if index % 2:
                rewritten.append(part)
                continue
            # re.split with groups: literal, then the pattern's groups, and so on.
            pieces = pattern.split(part)
            width = pattern.groups + 1
            literal = pieces[0]
            for start in range(1, len(pieces), width):
                groups = pieces[start : start + pattern.groups]
                before, url, after = url_of(groups)
                rewritten += [literal + before, self._slot(url)]
                literal = after + pieces[start + pattern.groups]
            rewritten.append(literal)
        return rewritten

    def rewrite_text(self, parts: list, pattern: re.Pattern) -> list:
        """Every address `pattern` finds in the literal text becomes a slot."""
        grouped = re.compile(f"({pattern.pattern})")
        return self._rewrite(parts, grouped, lambda groups: ("", groups[0], ""))

    def rewrite_html(self, parts: list) -> list:
        """Every http(s) href becomes a slot (images and mailto: stay as they are)."""
        return self._rewrite(
            parts, HREF, lambda groups: (groups[0], html.unescape(groups[1]), groups[2])
        )

    def links_save(self) -> None:
        """Store the run's links (again, for a later batch of the same run: the same rows
        come back) and learn their ids."""
        hashes = [hashlib.sha256(url.encode()).hexdigest() for url in self.urls]
        Link.objects.bulk_create(
            [
                Link(attempt_id=self.attempt_id, url=url, url_hash=url_hash)
                for url, url_hash in zip(self.urls, hashes, strict=True)
            ],
            ignore_conflicts=True,
        )
        ids = dict(
            Link.objects.filter(attempt_id=self.attempt_id, url_hash__in=hashes).values_list(
                "url_hash", "pk"
            )
        )
        self.link_ids = [ids[url_hash] for url_hash in hashes]

    def links_of(self, delivery_id: int) -> dict[str, str]:
        """The slots' values for one recipient, URL-safe and so marked safe: the HTML
        part takes them as they are, not as text to escape and link."""
        return {
            f"{SLOT}{index}": mark_safe(  # noqa: S308 - signed token and our own SITE_URL
                f"{self.click_prefix}{self.signer.click_token(delivery_id, link_id)}"
                f"{self.click_suffix}"
            )
            for index, link_id in enumerate(self.link_ids)
        }

    def pixel_of(self, delivery_id: int) -> str:
        token = self.signer.open_token(delivery_id)
        return (
            f'<img src="{self.open_prefix}{token}{self.open_suffix}" width="1" height="1" '
            'alt="" style="display:block;width:1px;height:1px;border:0">'
        )


def tracker_for_run(mailing, *, attempt_id: int) -> Tracker | None:
    """The tracker of a run of `mailing` (owner loaded), None when tracking is off."""
    mode = mailing.tracking_mode
    if mode == Tracking.OFF:
        return None
    return Tracker(attempt_id=attempt_id, mode=mode)
