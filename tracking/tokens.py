"""Tokens of tracked links and open pixels: what they are for, signed.

`<mode>.<run>.<delivery>[.<link>].<mac>`, numbers in base 36 and a 96-bit HMAC-SHA256
of them and of the kind, so that a pixel's token is no link's and nothing in the address
can be changed: the target comes from the link row the token names, never from the
request, so there is no open redirect. Short, because a newsletter carries one per link
per recipient. SECRET_KEY_FALLBACKS still verify, so rotating the key breaks no email.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils.http import base36_to_int, int_to_base36

from accounts.models import Tracking

from .models import Kind

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
