"""A user's own relay (SPEC §6 "bring your own relay"): saving its URL, opening it for
the engine, holding its owner's runs while it cannot be used, and the "test connection"
button. The engine's side is sending.send.Route."""

import threading
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from transport.smtp import SendingPaused, SmtpSettings, SmtpTransport, describe

from .models import Relay

# Shown on every page while the owner's relay is held for it, and by the test button.
RELAY_KEY_LOST = _(
    "Your relay's settings cannot be decrypted (the server's FIELD_ENCRYPTION_KEY was "
    "changed). Your mailings are held, and none goes out through our server instead: "
    "enter the relay's URL again."
)
# The test button answers within this long, whatever the relay does.
TEST_SECONDS = 5.0
MAX_COOLDOWN = 30 * 60


def relay_url_summary(url: str) -> str:
    """What may be shown of a relay URL: everything but the password."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{parts.hostname}{port}"


def relay_smtp_settings(relay: Relay, *, timeout: float) -> SmtpSettings:
    """Raises KeyUnusable (FIELD_ENCRYPTION_KEY changed) or SendingPaused (a URL that
    cannot be used)."""
    return SmtpSettings.from_url(
        relay.url(), timeout=timeout, name="The relay URL", public_only=True
    )


@transaction.atomic
def relay_save(*, relay: Relay, url: str = "") -> Relay:
    """Store the relay with its rate and connections, and its new URL when given; a
    saved relay is tried again at once."""
    if url:
        relay.set_url(url, relay_url_summary(url))
    relay.hold_reason, relay.hold_reply, relay.held_until = "", "", None
    relay.hold_openings = 0
    relay.save()
    return relay


def relay_hold(relay: Relay, *, reason: str, reply: str) -> None:
    """Hold the owner's runs: until they fix it (a key, a login, an address; looked at
    again every SEND_PAUSE_RECHECK seconds), or for a cooldown that doubles each time
    a relay that is down stays down."""
    openings = relay.hold_openings + 1 if relay.hold_reason == reason else 1
    if reason == Relay.Hold.CONNECTION:
        wait = min(settings.SEND_BREAKER_COOLDOWN * 2 ** (openings - 1), MAX_COOLDOWN)
    else:
        wait = settings.SEND_PAUSE_RECHECK
    relay.hold_reason, relay.hold_reply = reason, reply[:2000]
    relay.held_until = timezone.now() + timedelta(seconds=wait)
    relay.hold_openings = openings
    Relay.objects.filter(pk=relay.pk).update(
        hold_reason=reason, hold_reply=relay.hold_reply, held_until=relay.held_until,
        hold_openings=openings,
    )  # fmt: skip


def relay_clear(relay: Relay) -> None:
    if relay.hold_reason:
        Relay.objects.filter(pk=relay.pk).update(
            hold_reason="", hold_reply="", held_until=None, hold_openings=0
        )
        relay.hold_reason = ""


def _probe(config: SmtpSettings, answer: dict) -> None:
    transport = SmtpTransport(config)
    try:
        transport.ensure_open()
    except SendingPaused as pause:
        answer["reply"] = pause.reply
        return
    except Exception as error:  # ConnectionFailed, or whatever the server made us hit
        answer["reply"] = getattr(error, "reply", None) or describe(error)
        return
    try:
        smtp = transport.smtp
        lines = (smtp.ehlo_resp or smtp.helo_resp or b"").decode("utf-8", "replace").splitlines()
        answer["ok"], answer["reply"] = True, f"250 {lines[0] if lines else ''}".strip()
    finally:
        transport.close()


def relay_test(relay: Relay) -> tuple[bool, str | None]:
    """Connect to the relay, say EHLO (and log in, with a user in its URL) and quit:
    (whether it worked, what the server said), or (False, None) when it did not answer
    within about TEST_SECONDS; the thread left behind ends with its socket's timeout.
    Raises KeyUnusable when the stored URL cannot be decrypted."""
    try:
        config = relay_smtp_settings(relay, timeout=TEST_SECONDS)
    except SendingPaused as pause:
        return False, pause.reply
    answer: dict = {"ok": False, "reply": ""}
    thread = threading.Thread(target=_probe, args=(config, answer), daemon=True)
    thread.start()
    thread.join(TEST_SECONDS + 0.5)
    if thread.is_alive():
        return False, None
    return answer["ok"], answer["reply"]
