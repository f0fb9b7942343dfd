"""A pass of the engine over every mailing, and the one `tick` each scheduler runs:
the embedded `run_scheduler`, cron's `send_mailings` and Celery beat's `dispatch_due`.
A tick runs the periodic jobs of config/beat.py, this pass among them.

A pass expires stale leases, closes cancelled runs, claims due runs, and then sends every
unfinished run itself or, with Celery, hands its pending rows to workers in batches.
Nothing is claimed or sent while sending is on hold, but the runs of owners who send
through a relay of their own (senders.Relay): the hold is the platform's. Any pass may
run at any time, in any number of processes: rows move only forward, so nothing is sent
twice.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from config.beat import DUE_SCAN, job_run, pass_jobs
from mailings.models import Mailing

from . import holds
from .claims import runs_claim_due
from .conf import batch_lease_seconds
from .heartbeat import beat
from .models import Delivery, TransportHold
from .runs import (
    attempt_finish_if_done,
    attempts_stop_cancelled,
    deliveries_expire_leases,
    unfinished_attempts,
)
from .send import SendReport, attempt_send

# Hands one batch (attempt id, delivery ids) to a worker: tasks.enqueue_batch.
Enqueue = Callable[[int, list[int]], None]


@dataclass
class PassReport:
    claimed: int = 0
    expired: int = 0
    batches: int = 0
    hold: TransportHold | None = None
    sending: SendReport = field(default_factory=SendReport)


def tick(
    *,
    source: str,
    should_stop: Callable[[], bool] = lambda: False,
    on_progress: Callable[[], None] = lambda: None,
    enqueue: Enqueue | None = None,
) -> PassReport:
    """One beat of a scheduler: its heartbeat for /healthz, then the periodic jobs of
    config/beat.py in their order (with `enqueue`, Celery's, those without a task of
    their own). The pass over the mailings is one of them: its failure is the tick's,
    while any other job's is logged and the rest go on."""
    beat(source)
    report = PassReport()
    for job in pass_jobs(celery=enqueue is not None):
        if job.name == DUE_SCAN:
            report = run_pass(should_stop=should_stop, on_progress=on_progress, enqueue=enqueue)
        else:
            job_run(job, should_stop=should_stop)
    return report


def run_pass(
    *,
    now: datetime | None = None,
    mailing_ids: Iterable[int] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    on_progress: Callable[[], None] = lambda: None,
    enqueue: Enqueue | None = None,
) -> PassReport:
    """One pass over the mailings (or only `mailing_ids`): see the module's docstring."""
    now = now or timezone.now()
    report = PassReport()
    report.expired = deliveries_expire_leases(now=now)
    attempts_stop_cancelled()
    report.hold = holds.hold_current(now=now)
    if report.hold is not None:
        # The platform's relay is held: the owners with a relay of their own go on.
        mailing_ids = list(_with_own_relay(mailing_ids))
        if not mailing_ids:
            return report
    report.claimed = len(runs_claim_due(now=now, mailing_ids=mailing_ids))
    for attempt_id in list(unfinished_attempts(mailing_ids=mailing_ids)):
        if should_stop():
            break
        if enqueue is not None:
            report.batches += attempt_enqueue_batches(
                attempt_id=attempt_id, now=now, enqueue=enqueue
            )
            attempt_finish_if_done(attempt_id=attempt_id)
            continue
        result = attempt_send(
            attempt_id=attempt_id, should_stop=should_stop, on_progress=on_progress
        )
        report.sending.add(result)
        if result.stopped:
            break
    report.hold = report.hold or holds.hold_current()
    return report


def _with_own_relay(mailing_ids: Iterable[int] | None):
    mailings = Mailing.objects.filter(owner__relay__isnull=False)
    if mailing_ids is not None:
        mailings = mailings.filter(pk__in=list(mailing_ids))
    return mailings.values_list("pk", flat=True)


def attempt_enqueue_batches(*, attempt_id: int, now: datetime, enqueue: Enqueue) -> int:
    """Hand the due pending rows of a run to workers in batches of SEND_BATCH_SIZE ids.

    The rows' `next_try_at` is pushed forward as a short lease, which the task renews
    while it sends, so that the next beat does not enqueue them again; the rows of a
    task the broker lost come back after the lease. A task that runs twice is harmless:
    it only takes rows that are still pending.
    """
    lease_until = now + timedelta(seconds=batch_lease_seconds())
    due = (
        Delivery.objects.filter(attempt_id=attempt_id, status=Delivery.Status.PENDING)
        .filter(Q(next_try_at__isnull=True) | Q(next_try_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    batches, last = 0, 0
    # Keyset pages rather than one open cursor: each page is leased before the next read.
    while ids := list(due.filter(pk__gt=last)[: settings.SEND_BATCH_SIZE]):
        last = ids[-1]
        with transaction.atomic():
            Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING).update(
                next_try_at=lease_until
            )
            transaction.on_commit(lambda ids=ids: enqueue(attempt_id, ids))
        batches += 1
    return batches
