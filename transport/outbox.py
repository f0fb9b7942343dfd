"""Without EMAIL_URL every email becomes one .eml file in var/outbox/ (development)."""

import uuid
from pathlib import Path

from django.conf import settings
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
    try:
        tmp.write_bytes(raw)
        return tmp.rename(directory / name)
    except OSError:
        tmp.unlink(missing_ok=True)  # a half-written file must not stay behind
        raise
