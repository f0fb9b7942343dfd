"""Hits are folded on every scheduler beat (embedded loop, cron pass or Celery beat)."""

from django.dispatch import receiver

from sending.signals import ticked

from .events import hits_fold


@receiver(ticked)
def fold_hits(sender, **kwargs) -> None:
    hits_fold()
