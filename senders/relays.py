"""A user's own relay (SPEC §6 "bring your own relay"): its URL built from the form's
fields, kept, opened for the engine, checked before it is saved, holding its owner's
runs while it cannot be used, and the "test connection" button. The engine's side is
sending.send.Route."""

import threading
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from transport.smtp import (
    AddressUnusable,
    ConnectionFailed,
    SendingPaused,
    SmtpSettings,
    SmtpTransport,
    explain,
)

from .models import Relay

# Shown on every page while the owner's relay is held for it, and by the test button.
RELAY_KEY_LOST = _(
    "Your relay's settings cannot be decrypted (the server's FIELD_ENCRYPTION_KEY was "
    "changed). Your mailings are held, and none goes out through our server instead: "
    "enter the relay's settings again."
)
# The test button and the form's check answer within this long, whatever the relay does.
TEST_SECONDS = 5.0
MAX_COOLDOWN = 30 * 60
# The form's "security" choice and the URL scheme the transport reads it from.
SCHEMES = {"starttls": "smtp+tls", "ssl": "smtp+ssl", "none": "smtp"}


def relay_url(*, host: str, port: int, security: str, username: str, password: str) -> str:
    """The SMTP URL of the form's fields: the user name and password percent-encoded
    whole, so that `@`, `/`, `:` or `%` in them stay theirs."""
    login = ""
    if username:
        secret = f":{quote(password, safe='')}" if password else ""
        login = f"{quote(username, safe='')}{secret}@"
    where = f"[{host}]" if ":" in host else host  # an IPv6 address
    return f"{SCHEMES[security]}://{login}{where}:{port}"


def relay_url_fields(url: str) -> dict:
    """The form's fields of a stored URL (the password too: the caller keeps it)."""
    config = SmtpSettings.from_url(url, timeout=TEST_SECONDS)
    security = "ssl" if config.use_ssl else "starttls" if config.use_tls else "none"
    return {
        "host": config.host,
        "port": config.port,
        "security": security,
        "username": config.username,
        "password": config.password,
    }


def relay_url_summary(url: str) -> str:
    """What may be shown of a relay URL: everything but the password."""
    parts = urlsplit(url)
    user = f"{unquote(parts.username)}@" if parts.username else ""
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{host}{port}"


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


@dataclass(frozen=True)
class RelayCheck:
    ok: bool
    # The server's greeting when it worked, else what went wrong and what to check, in
    # the language of the request.
    message: str
    # The address itself can never be used (no such host, a private address): the form
    # refuses it, where a relay that does not answer now may be saved anyway.
    refused: bool = False


def _probe(config: SmtpSettings, language: str, answer: dict) -> None:
    # A thread of its own has no language of its own: the request's is lent to it.
    with translation.override(language):
        transport = SmtpTransport(config)
        try:
            transport.ensure_open()
        except AddressUnusable as unusable:
            answer["check"] = RelayCheck(False, unusable.message, refused=True)
            return
        except (ConnectionFailed, SendingPaused) as failure:
            answer["check"] = RelayCheck(False, failure.message)
            return
        except Exception as error:  # whatever else the server made us hit
            answer["check"] = RelayCheck(False, explain(error, config))
            return
        try:
            smtp = transport.smtp
            lines = (smtp.ehlo_resp or smtp.helo_resp or b"").decode("utf-8", "replace")
            first = lines.splitlines()[0] if lines else ""
            answer["check"] = RelayCheck(True, f"250 {first}".strip())
        finally:
            transport.close()


def relay_check(config: SmtpSettings) -> RelayCheck:
    """Resolve the host and refuse a private address, connect, say EHLO, STARTTLS and
    log in as the engine will, and quit: within about config.timeout seconds, whatever
    the server does (a thread left behind ends with its socket's timeout)."""
    answer: dict = {}
    language = translation.get_language() or settings.LANGUAGE_CODE
    thread = threading.Thread(target=_probe, args=(config, language, answer), daemon=True)
    thread.start()
    thread.join(config.timeout + 0.5)
    if "check" not in answer:
        return RelayCheck(
            False,
            gettext("The relay did not answer within %(seconds)s seconds.")
            % {"seconds": f"{config.timeout:g}"},
        )
    return answer["check"]


def relay_test(relay: Relay) -> RelayCheck:
    """relay_check of the saved relay. Raises KeyUnusable when its URL cannot be
    decrypted."""
    try:
        config = relay_smtp_settings(relay, timeout=TEST_SECONDS)
    except SendingPaused as pause:
        return RelayCheck(False, pause.message)
    return relay_check(config)
