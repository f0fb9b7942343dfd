"""Unconfirmed sign-ups are purged from the scheduler's beat (embedded loop, cron pass or
Celery beat), once per PURGE_EVERY: the beat comes every few seconds, and the sign-ups
it looks for are days old."""

from django.core.cache import cache
from django.dispatch import receiver

from sending.signals import ticked

from .cleanup import unconfirmed_purge

PURGE_EVERY = 60 * 60
PURGED_KEY = "audience:unconfirmed-purged"


@receiver(ticked)
def purge_unconfirmed(sender, **kwargs) -> None:
    # The first beat of each period wins the key; with the cache away every beat does
    # the purge, which is harmless (and cheap while there is nothing to purge).
    if cache.add(PURGED_KEY, True, timeout=PURGE_EVERY):
        unconfirmed_purge()
