from celery import shared_task

from .dispatch import webhooks_pass


@shared_task(ignore_result=True)
def webhooks_send() -> int:
    return webhooks_pass(budget=20.0)
