"""The default email backend: each message becomes one .eml file in var/outbox/."""

import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


def outbox_dir() -> Path:
    path = Path(settings.EMAIL_OUTBOX_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_eml(raw: bytes) -> Path:
    """Write atomically, so a reader never sees half a message."""
    directory = outbox_dir()
    name = f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:12]}.eml"
    tmp = directory / f".{name}.tmp"
    tmp.write_bytes(raw)
    return tmp.rename(directory / name)


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            write_eml(message.message().as_bytes(linesep="\r\n"))
        return len(email_messages)
