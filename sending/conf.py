"""The engine's settings (SEND_* and CELERY_BROKER_URL in config/settings.py) and what
follows from them, read at call time so that tests and operators can change them."""

import random

from django.conf import settings


def celery_enabled() -> bool:
    """Workers take the sending (CELERY_BROKER_URL is set); else the scheduler sends."""
    return bool(settings.CELERY_BROKER_URL)


def retry_delay(tries: int) -> float:
    """Capped exponential backoff with jitter, so that retries do not come in waves."""
    delay = min(
        settings.SEND_RETRY_BACKOFF * 2 ** max(tries - 1, 0), settings.SEND_RETRY_BACKOFF_MAX
    )
    return delay * random.uniform(0.8, 1.2)


def lease_seconds() -> float:
    """How long a row may stay in flight, or a batch handed to a worker, before it is
    taken to be abandoned by a process that died."""
    return settings.SEND_LEASE


def batch_lease_seconds() -> float:
    """How long a batch handed to a Celery task is its own; the task renews it while it
    sends, so a batch the broker lost is handed out again after about this long."""
    return settings.SEND_BATCH_LEASE
