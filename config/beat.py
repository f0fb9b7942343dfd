"""The periodic jobs: one table, read by every scheduler — the embedded loop
(`run_scheduler`), cron's `send_mailings` and Celery beat (CELERY_BEAT_SCHEDULE).

Each scheduler beats every few seconds (the embedded loop every couple of seconds, cron
every minute, Celery beat every DISPATCH_EVERY seconds through `sending.tasks.dispatch_due`)
and each beat is one pass (`sending.passes.tick`) that runs the jobs below in their order;
the due-scan (DUE_SCAN) is one of them. With Celery, a job that names a `celery` entry is
left out of the pass: beat sends that task on its own schedule, to a worker.

A job names its function by a dotted path, imported at its first run: config is the bottom
room and imports no app, and a process imports only the jobs it runs. A job that fails is
logged and the others run all the same.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.cache import cache
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

HOUR = 60 * 60
# Celery beat's pass: the due-scan, and with it every job without a task of its own.
DISPATCH_EVERY = 5.0


@dataclass(frozen=True)
class Job:
    name: str
    # "package.module.function", called without arguments (but `should_stop`, below).
    function: str
    # At most once per this many seconds, whichever process's pass comes first (the cache
    # holds the time; with the cache away every pass runs it, which each job bears); 0:
    # in every pass.
    every: float = 0
    # Celery beat's entry for it ({"task": …, "schedule": seconds}): with Celery the pass
    # leaves the job to that task.
    celery: dict = field(default_factory=dict)
    # False: only Celery beat runs it (without Celery, its command is run by hand or cron).
    in_passes: bool = True
    # It takes `should_stop` and ends early when the scheduler is told to stop.
    stoppable: bool = False


DUE_SCAN = "sending-dispatch"

JOBS = (
    # Account emails (confirmations, password resets) first: a long run must not hold
    # them up.
    Job("account-emails", "sending.mail_queue.queued_emails_send"),
    # Uploaded client files; with Celery each upload is a task of its own and beat only
    # sweeps up those whose task was lost or whose worker died (audience/tasks.py: the
    # tasks kept the names they had in mailings).
    Job(
        "client-imports",
        "audience.imports.client_imports_run",
        celery={"task": "mailings.tasks.client_imports_run", "schedule": 30.0},
        stoppable=True,
    ),
    # Expire leases, claim due runs, send them (or hand their batches to workers); `tick`
    # calls it itself, with the scheduler's stop and progress callbacks, and returns its
    # report. Its failure is the pass's.
    Job(
        DUE_SCAN,
        "sending.passes.run_pass",
        celery={"task": "sending.tasks.dispatch_due", "schedule": DISPATCH_EVERY},
    ),
    # Opens and clicks waiting in tracking_hit are added to their runs' figures.
    Job("tracking-hits", "tracking.events.hits_fold"),
    # Outgoing webhooks: events collected and due messages sent (with Celery, by a task).
    Job("webhooks", "webhooks.dispatch.webhooks_dispatch"),
    # Sent account emails are not kept beyond QUEUED_EMAIL_KEEP_DAYS.
    Job("account-emails-forget", "sending.mail_queue.queued_emails_forget", every=HOUR),
    # Sign-ups not confirmed in SUBSCRIBE_PENDING_DAYS: the sign-ups are days old.
    Job("unconfirmed-purge", "audience.cleanup.unconfirmed_purge", every=HOUR),
    # The bounce mailbox (BOUNCE_MAILBOX_URL; nothing to do while unset). Without
    # Celery, cron runs `fetch_bounces`.
    Job(
        "bounce-mailbox",
        "feedback.mailbox.mailbox_fetch",
        celery={"task": "feedback.tasks.bounces_fetch", "schedule": 60.0},
        in_passes=False,
    ),
)


def celery_beat_schedule() -> dict:
    """CELERY_BEAT_SCHEDULE: the jobs that run as tasks of their own."""
    return {job.name: dict(job.celery) for job in JOBS if job.celery}


def pass_jobs(*, celery: bool) -> list[Job]:
    """The jobs of one pass, in their order; with Celery, those without a task of their own
    (the due-scan's task is the pass itself)."""
    return [
        job
        for job in JOBS
        if job.in_passes and not (celery and job.celery and job.name != DUE_SCAN)
    ]


def job_run(job: Job, *, should_stop: Callable[[], bool] = lambda: False) -> None:
    """Run `job` if it is due; a failure is logged, never raised (the pass goes on)."""
    try:
        if job.every and not cache.add(job_key(job.name), True, timeout=job.every):
            return
        function = import_string(job.function)
        if job.stoppable:
            function(should_stop=should_stop)
        else:
            function()
    except Exception:
        log.exception("Periodic job %s failed", job.name)


def job_key(name: str) -> str:
    """The cache key that holds a job with an `every` back until its time comes again."""
    return f"beat:{name}"
