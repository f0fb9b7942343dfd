"""The bounce mailbox at BOUNCE_MAILBOX_URL: every message is processed like one given
to process_bounce, then deleted (an ignored one too: it was read and logged)."""

import logging
import poplib
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from imap_tools import MailBox, MailBoxUnencrypted

from .intake import report_process

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"imaps": 993, "imap": 143, "pop3s": 995, "pop3": 110}


@dataclass(frozen=True)
class MailboxSettings:
    scheme: str
    host: str
    port: int
    username: str
    password: str
    folder: str

    @classmethod
    def from_url(cls, url: str) -> "MailboxSettings":
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ImproperlyConfigured(
                "BOUNCE_MAILBOX_URL must look like imaps://user:pass@host:port/INBOX "
                "(or imap://, pop3s://, pop3://)"
            )
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError as error:
            raise ImproperlyConfigured(f"BOUNCE_MAILBOX_URL has a bad port: {error}") from error
        return cls(
            scheme=parts.scheme,
            host=parts.hostname,
            port=port,
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
        )


def _fetch_imap(config: MailboxSettings) -> int:
    box_class = MailBox if config.scheme == "imaps" else MailBoxUnencrypted
    timeout = settings.BOUNCE_MAILBOX_TIMEOUT
    processed = 0
    with box_class(config.host, config.port, timeout=timeout).login(
        config.username, config.password, initial_folder=config.folder
    ) as box:
        done = []
        # mark_seen=False and deleting only what was processed: a message we fail on
        # (the database gone) stays for the next time, and none is counted twice.
        try:
            for message in box.fetch(mark_seen=False, bulk=50):
                try:
                    data = message.obj.as_bytes()
                except Exception as error:  # imap-tools keeps only the parsed message
                    log.warning("Report ignored: it could not be read back (%s)", error)
                else:
                    report_process(data)
                done.append(message.uid)
                processed += 1
        finally:
            if done:
                box.delete(done)
    return processed


def _fetch_pop3(config: MailboxSettings) -> int:
    timeout = settings.BOUNCE_MAILBOX_TIMEOUT
    pop = (
        poplib.POP3_SSL(config.host, config.port, timeout=timeout)
        if config.scheme == "pop3s"
        else poplib.POP3(config.host, config.port, timeout=timeout)
    )
    processed = 0
    try:
        pop.user(config.username)
        pop.pass_(config.password)
        count, _size = pop.stat()
        for number in range(1, count + 1):
            _response, lines, _octets = pop.retr(number)
            report_process(b"\r\n".join(lines))
            pop.dele(number)
            processed += 1
    finally:
        pop.quit()  # deletions take effect only on QUIT
    return processed


def mailbox_fetch(url: str | None = None) -> int:
    """Process and delete every message in the mailbox; returns how many."""
    url = settings.BOUNCE_MAILBOX_URL if url is None else url
    if not url:
        return 0
    config = MailboxSettings.from_url(url)
    fetch = _fetch_pop3 if config.scheme.startswith("pop3") else _fetch_imap
    processed = fetch(config)
    log.info("Bounce mailbox: %d messages processed", processed)
    return processed
