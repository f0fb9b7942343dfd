"""Webhooks ride on the engine's beat: each scheduler tick (embedded or Celery beat)
collects events and sends what is due, never inside a web request."""

from django.dispatch import receiver

from sending.conf import celery_enabled
from sending.signals import ticked

from .models import Endpoint


@receiver(ticked)
def send_webhooks(sender, **kwargs):
    if not Endpoint.objects.filter(is_active=True).exists():
        return  # the usual case: one query per beat, no task
    if celery_enabled():
        from .tasks import webhooks_send

        webhooks_send.delay()
    else:
        from .dispatch import webhooks_pass

        webhooks_pass()
