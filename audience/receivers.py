"""Unconfirmed sign-ups are purged on every scheduler beat (embedded loop, cron pass or
Celery beat)."""

from django.dispatch import receiver

from sending.signals import ticked

from .cleanup import unconfirmed_purge


@receiver(ticked)
def purge_unconfirmed(sender, **kwargs) -> None:
    unconfirmed_purge()
