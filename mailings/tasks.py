"""Celery tasks (CELERY_BROKER_URL set): client imports run on the workers."""

from config.celery import app

from . import imports


@app.task(acks_late=True, ignore_result=True)
def client_import_process(job_id: int) -> bool:
    """An upload was just stored: import it now rather than at beat's next sweep."""
    return imports.client_import_process(job_id=job_id)


@app.task(acks_late=True, ignore_result=True)
def client_imports_run() -> int:
    """Beat's sweep: imports whose task was lost, or whose worker died."""
    return imports.client_imports_run()
