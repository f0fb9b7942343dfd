"""Celery tasks (CELERY_BROKER_URL set): thin wrappers around the engine.

Beat runs `dispatch_due` every few seconds: the same `tick` as the embedded scheduler,
which claims due runs and hands their pending rows to workers as `send_batch` tasks of
SEND_BATCH_SIZE delivery ids each, so one large run is shared by every worker. Every
task is idempotent because rows only move forward: a task delivered twice finds its rows
already taken and does nothing.

Tasks import the engine and its services; the services never import tasks: they send
`signals.work_queued`, which `receivers.work_queued_enqueue` turns into a task. Nothing
imports this module (nor Celery) in a process that does not use Celery.
"""

from config.celery import app

from .mail_queue import queued_emails_send
from .passes import run_pass, tick
from .send import attempt_send


def enqueue_batch(attempt_id: int, delivery_ids: list[int]) -> None:
    send_batch.delay(attempt_id, delivery_ids)


@app.task(acks_late=True, ignore_result=True)
def dispatch_due() -> dict:
    report = tick(source="celery", enqueue=enqueue_batch)
    return {"claimed": report.claimed, "batches": report.batches, "held": bool(report.hold)}


@app.task(acks_late=True, ignore_result=True)
def dispatch_mailing(mailing_id: int) -> dict:
    """A mailing was just created or "Send now" was pressed: don't wait for the beat."""
    report = run_pass(mailing_ids=[mailing_id], enqueue=enqueue_batch)
    return {"claimed": report.claimed, "batches": report.batches, "held": bool(report.hold)}


# A batch whose run failed (the database or the SMTP connection away) is tried again,
# waiting 2, 4, 8… up to 60 seconds; it only takes rows still pending, so a retry after
# a partial run sends nothing twice.
@app.task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=None,
)
def send_batch(attempt_id: int, delivery_ids: list[int]) -> dict:
    report = attempt_send(attempt_id=attempt_id, delivery_ids=delivery_ids)
    return {"sent": report.sent, "failed": report.failed, "stopped": report.stopped}


@app.task(acks_late=True, ignore_result=True)
def send_queued_emails() -> int:
    """An account email was queued: send it now rather than at the next beat."""
    return queued_emails_send()
