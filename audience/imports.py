"""Client imports in the background: the upload is stored with a proposed plan of its
columns, the user confirms or changes it (the mapping page), then a worker reads it.

Whoever works the queue calls `client_imports_run()`: the embedded scheduler on each
pass, `send_mailings` from cron, and Celery (a task per upload, and beat's sweep).
A job is claimed with a conditional update, so any number of workers may run at once.
"""

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation

from audience.client_csv import (
    ImportFileError,
    ImportPlan,
    ImportResult,
    clients_import,
    plan_upload,
)

from .models import ClientImport
from .signals import import_queued

log = logging.getLogger(__name__)

# How often a running import writes its progress (a short write of its own).
PROGRESS_EVERY = 0.5
# A running import whose progress stamp is older than this lost its worker (killed):
# it is taken up again. Running it twice is harmless: the import is an upsert.
IMPORT_LEASE = timedelta(minutes=5)
# An upload whose columns nobody matched is let go after this, and its file not kept.
MAPPING_KEPT = timedelta(days=2)


def _nudge(job_id: int) -> None:
    def nudge() -> None:
        if settings.CELERY_BROKER_URL:
            from .tasks import client_import_process

            client_import_process.delay(job_id)
        else:
            # The embedded scheduler works the queue: the engine, which runs it, wakes it.
            import_queued.send(sender=ClientImport, job_id=job_id)

    transaction.on_commit(nudge)


def client_import_create(*, owner, data: bytes, file_name: str = "") -> ClientImport:
    """Store an upload with the plan proposed for its columns, for the user to confirm.
    Raises ImportFileError for a file that cannot be read at all."""
    plan, _samples = plan_upload(data)
    return ClientImport.objects.create(
        owner=owner,
        data=data,
        file_name=file_name[:255],
        mapping=plan.as_json(),
        language=translation.get_language() or settings.LANGUAGE_CODE,
        # An estimate for the progress bar (quoted cells may span lines).
        total_rows=max(data.count(b"\n") + (not data.endswith(b"\n")) - 1, 0),
    )


def client_import_confirm(job: ClientImport, plan: ImportPlan | None = None) -> bool:
    """The user chose the columns' targets (or took those proposed): the import waits for
    a worker. False when the job was confirmed already (a second click)."""
    mapping = (plan or ImportPlan.from_json(job.mapping)).as_json()
    queued = ClientImport.objects.filter(pk=job.pk, status=ClientImport.Status.MAPPING).update(
        status=ClientImport.Status.QUEUED, mapping=mapping, updated_at=timezone.now()
    )
    if queued:
        job.status, job.mapping = ClientImport.Status.QUEUED, mapping
        _nudge(job.pk)
    return bool(queued)


def _claimable(*, now):
    """Waiting imports, and running ones whose worker stopped reporting."""
    return ClientImport.objects.filter(
        Q(status=ClientImport.Status.QUEUED)
        | Q(status=ClientImport.Status.RUNNING, updated_at__lt=now - IMPORT_LEASE)
    )


class _Progress:
    """Writes the rows read so far, at most every PROGRESS_EVERY seconds."""

    def __init__(self, job_id: int):
        self.job_id, self.rows, self.written_at = job_id, 0, 0.0

    def __call__(self, rows: int) -> None:
        self.rows = rows
        if time.monotonic() - self.written_at >= PROGRESS_EVERY:
            self.written_at = time.monotonic()
            ClientImport.objects.filter(pk=self.job_id).update(
                rows_done=rows, updated_at=timezone.now()
            )


def _import(job: ClientImport, progress: _Progress) -> ImportResult:
    data = bytes(job.data)
    # An import queued before plans were kept reads its columns as proposed.
    plan = ImportPlan.from_json(job.mapping) if job.mapping else None
    try:
        return clients_import(owner=job.owner, data=data, plan=plan, on_progress=progress)
    except IntegrityError:
        # The owner's clients changed while the file was read (another import of the
        # same addresses): read it again against what is there now.
        return clients_import(owner=job.owner, data=data, plan=plan, on_progress=progress)


def client_import_process(*, job_id: int) -> bool:
    """Run one stored import unless another worker has it; False when it was not ours."""
    now = timezone.now()
    claimed = (
        _claimable(now=now)
        .filter(pk=job_id)
        .update(status=ClientImport.Status.RUNNING, started_at=now, updated_at=now, rows_done=0)
    )
    if not claimed:
        return False
    job = ClientImport.objects.select_related("owner").get(pk=job_id)
    progress = _Progress(job_id)
    finished: dict = {"status": ClientImport.Status.DONE, "data": b""}
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            result = _import(job, progress)
        except ImportFileError as error:
            finished.update(status=ClientImport.Status.FAILED, failure=str(error))
        except Exception:
            # Marked failed rather than retried forever; the log has the cause.
            log.exception("Client import %s failed", job_id)
            finished.update(
                status=ClientImport.Status.FAILED,
                failure=translation.gettext("The file could not be imported."),
            )
        else:
            finished.update(
                created_count=result.created,
                updated_count=result.updated,
                unchanged_count=result.unchanged,
                suppressed_count=result.suppressed,
                error_count=result.error_count,
                errors=result.errors,
                lists_created=result.lists_created,
            )
            if result.error_count:
                finished["status"] = ClientImport.Status.DONE_WITH_ERRORS
    now = timezone.now()
    ClientImport.objects.filter(pk=job_id).update(
        **finished,
        rows_done=progress.rows,
        total_rows=progress.rows,
        finished_at=now,
        updated_at=now,
    )
    return True


def client_imports_abandoned(*, now) -> int:
    """Uploads left on their mapping page for MAPPING_KEPT: failed, their file dropped."""
    stale = ClientImport.objects.filter(
        status=ClientImport.Status.MAPPING, created_at__lt=now - MAPPING_KEPT
    ).only("pk", "language")
    dropped = 0
    for job in stale:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            failure = translation.gettext(
                "Its columns were not matched within two days, so the file was not kept: "
                "upload it again."
            )
        dropped += ClientImport.objects.filter(
            pk=job.pk, status=ClientImport.Status.MAPPING
        ).update(status=ClientImport.Status.FAILED, data=b"", failure=failure, finished_at=now)
    return dropped


def client_imports_run(*, should_stop: Callable[[], bool] = lambda: False) -> int:
    """Work through every waiting import (and any left running by a dead worker); let go
    of uploads whose columns nobody matched."""
    client_imports_abandoned(now=timezone.now())
    done = 0
    while not should_stop():
        job_id = _claimable(now=timezone.now()).order_by("pk").values_list("pk", flat=True).first()
        if job_id is None:
            break
        done += client_import_process(job_id=job_id)
    return done


def client_import_progress(job: ClientImport) -> dict:
    """What the import's page shows, for the template and its JSON feed."""
    # The total is an estimate (a quoted cell may span lines) until the import is over.
    total = max(job.total_rows, job.rows_done, 1)
    percent = 100.0 if job.is_over else round(100 * job.rows_done / total, 1)
    return {
        "id": job.pk,
        "status": job.status,
        "status_display": str(job.get_status_display()),
        "over": job.is_over,
        "rows_done": job.rows_done,
        "total_rows": max(job.total_rows, job.rows_done),
        "percent": percent,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "suppressed": job.suppressed_count,
        "errors": job.error_count,
        "failure": job.failure,
    }
