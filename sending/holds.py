"""Stopping all sending while the SMTP server cannot be used, in one row every process sees.

A refused login or a wrong EMAIL_URL pauses sending until the operator fixes it (a new
EMAIL_URL lifts the pause at once; otherwise it is re-checked every SEND_PAUSE_RECHECK
seconds, and `send_mailings --resume` lifts it by hand). The circuit breaker's hold
lifts itself after a cooldown that doubles each time it opens again.
"""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from transport.smtp import transport_fingerprint

from .models import HOLD_ID, TransportHold

# Every page shows the pause banner to signed-in users: cache the answer briefly.
BANNER_CACHE_KEY = "sending:hold-banner"
BANNER_CACHE_SECONDS = 30
MAX_COOLDOWN = 30 * 60


def hold_current(*, now=None) -> TransportHold | None:
    """The hold that stops sending right now, if any."""
    return TransportHold.objects.blocking(fingerprint=transport_fingerprint(), now=now)


@transaction.atomic
def hold_record(*, reason: str, server_response: str, now=None) -> TransportHold:
    now = now or timezone.now()
    fingerprint = transport_fingerprint()
    previous = TransportHold.objects.select_for_update().filter(pk=HOLD_ID).first()
    openings = 1
    if previous and previous.fingerprint == fingerprint and previous.reason == reason:
        openings = previous.openings + 1
    if reason == TransportHold.Reason.CONNECTION:
        wait = min(settings.SEND_BREAKER_COOLDOWN * 2 ** (openings - 1), MAX_COOLDOWN)
    elif reason == TransportHold.Reason.LOCAL:
        # A full disk is freed by someone, at no particular time: look again soon,
        # always after the same wait.
        wait = settings.SEND_BREAKER_COOLDOWN
    else:
        wait = settings.SEND_PAUSE_RECHECK
    hold, _created = TransportHold.objects.update_or_create(
        pk=HOLD_ID,
        defaults={
            "reason": reason,
            "server_response": server_response[:2000],
            "fingerprint": fingerprint,
            "since": previous.since if previous and openings > 1 else now,
            "retry_at": now + timedelta(seconds=wait),
            "openings": openings,
        },
    )
    cache.delete(BANNER_CACHE_KEY)
    return hold


def hold_clear() -> bool:
    """Lift the hold (the server answered well, or the operator says so)."""
    deleted, _ = TransportHold.objects.filter(pk=HOLD_ID).delete()
    if deleted:
        cache.delete(BANNER_CACHE_KEY)
    return bool(deleted)


def hold_for_banner() -> TransportHold | None:
    """The pause the owners must hear about (not the breaker's short cooldowns)."""
    hold = cache.get(BANNER_CACHE_KEY)
    if hold is None:
        found = TransportHold.objects.filter(
            pk=HOLD_ID, fingerprint=transport_fingerprint()
        ).first()
        hold = found if found and found.needs_operator else False
        cache.set(BANNER_CACHE_KEY, hold, BANNER_CACHE_SECONDS)
    return hold or None
