"""ALTCHA's proof of work for the public subscription forms, self-hosted: the challenge
is made and checked here (the `altcha` library), the widget is served from our static
files. A bot must spend CPU per sign-up; a person sees a checkbox that ticks itself.

Challenges are signed with a key derived from SECRET_KEY and expire; a solved one is
accepted once (its signature is counted in the cache until it expires, with `cache.add`,
atomic on every backend: config/cache.py).
"""

import datetime as dt

import altcha
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import salted_hmac

ALGORITHM = "PBKDF2/SHA-256"
CHALLENGE_LIFETIME = dt.timedelta(minutes=20)
# A widget's payload is a few hundred characters; anything much longer is not one.
MAX_PAYLOAD_LENGTH = 4000


def captcha_required(mailing_list) -> bool:
    return settings.SUBSCRIBE_CAPTCHA or mailing_list.captcha


def _hmac_key() -> str:
    return salted_hmac("audience.captcha", "altcha", algorithm="sha256").hexdigest()


def challenge_new() -> dict:
    """A fresh challenge, as the widget fetches it (JSON)."""
    challenge = altcha.create_challenge(
        algorithm=ALGORITHM,
        cost=settings.SUBSCRIBE_CAPTCHA_COST,
        expires_at=timezone.now() + CHALLENGE_LIFETIME,
        hmac_secret=_hmac_key(),
    )
    return challenge.to_dict()


def solution_accepted(payload: str) -> bool:
    """True for a solved, unexpired challenge of ours seen for the first time."""
    if not payload or len(payload) > MAX_PAYLOAD_LENGTH:
        return False
    result = altcha.verify_solution(payload, _hmac_key())
    if not result.verified:
        return False
    # Verified, so the payload parses; its signature names this challenge.
    signature = altcha.Payload.from_base64(payload).challenge.signature
    # A payload solved once must not serve a whole flood: each is taken once.
    return cache.add(f"altcha-used:{signature}", 1, timeout=CHALLENGE_LIFETIME.total_seconds())
