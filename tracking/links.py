"""Rewriting a run's message for tracking, once per run: each http(s) link of the text
and HTML parts becomes a slot the renderer fills per recipient with a tracked address,
and the HTML gets an open pixel. The per-recipient cost is one HMAC per link.

The renderer's parts are lists with literal text at even positions and placeholder
slots at odd ones; link slots are added as more slots (`link:<n>`), so that the same
fill that puts in `{{ full_name }}` puts in the links.
"""

import hashlib
import html
import re

from django.conf import settings
from django.urls import reverse
from django.utils.safestring import mark_safe

from accounts.models import Tracking
from audience.placeholders import Slot

from .models import Link
from .tokens import Signer

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
