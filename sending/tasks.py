"""Celery tasks (CELERY_BROKER_URL set): thin wrappers around the dispatcher.

Beat runs `dispatch_due` every few seconds: it claims due runs and hands their pending
rows to workers as `send_batch` tasks of SEND_BATCH_SIZE delivery ids each, so one large
run is shared by every worker. Every task is idempotent because rows only move forward:
a task delivered twice finds its rows already taken and does nothing.
"""

from celery import shared_task

from . import dispatch
from .heartbeat import beat
from .mail_queue import queued_emails_send


def enqueue_batch(attempt_id: int, delivery_ids: list[int]) -> None:
    send_batch.delay(attempt_id, delivery_ids)


@shared_task(acks_late=True, ignore_result=True)
def dispatch_due() -> dict:
    beat("celery")
    queued_emails_send()
    report = dispatch.run_pass(enqueue=enqueue_batch)
    return {"claimed": report.claimed, "batches": report.batches, "held": bool(report.hold)}


@shared_task(acks_late=True, ignore_result=True)
def dispatch_mailing(mailing_id: int) -> dict:
    """A mailing was just created or "Send now" was pressed: don't wait for the beat."""
    report = dispatch.run_pass(mailing_ids=[mailing_id], enqueue=enqueue_batch)
    return {"claimed": report.claimed, "batches": report.batches, "held": bool(report.hold)}


@shared_task(acks_late=True, ignore_result=True)
def send_batch(attempt_id: int, delivery_ids: list[int]) -> dict:
    report = dispatch.attempt_send(attempt_id=attempt_id, delivery_ids=delivery_ids)
    return {"sent": report.sent, "failed": report.failed, "stopped": report.stopped}


@shared_task(acks_late=True, ignore_result=True)
def send_queued_emails() -> int:
    """An account email was queued: send it now rather than at the next beat."""
    return queued_emails_send()
