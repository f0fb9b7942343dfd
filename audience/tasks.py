"""Celery tasks (CELERY_BROKER_URL set): client imports run on the workers.

Their names are those they had in mailings: tasks already queued by a running site, and
beat's table (config/beat.py), name them so."""

from config.celery import app

from . import imports


@app.task(name="mailings.tasks.client_import_process", acks_late=True, ignore_result=True)
def client_import_process(job_id: int) -> bool:
    """An upload was just stored: import it now rather than at beat's next sweep."""
    return imports.client_import_process(job_id=job_id)


@app.task(name="mailings.tasks.client_imports_run", acks_late=True, ignore_result=True)
def client_imports_run() -> int:
    """Beat's sweep: imports whose task was lost, or whose worker died."""
    return imports.client_imports_run()
