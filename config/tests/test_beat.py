"""The table of periodic jobs (config/beat.py): every scheduler reads it, a failing job
never stops the others, and a job with an interval runs once per interval."""

import logging

import pytest
from django.utils.module_loading import import_string

from config import beat
from config.beat import DUE_SCAN, JOBS, Job, celery_beat_schedule, pass_jobs
from config.celery import app as celery_app
from sending.passes import tick

ran: list[str] = []


def records() -> None:
    ran.append("records")


def fails() -> None:
    ran.append("fails")
    raise RuntimeError("the job broke")


def hourly() -> None:
    ran.append("hourly")


@pytest.fixture
def table(monkeypatch):
    ran.clear()
    here = __name__
    monkeypatch.setattr(
        beat,
        "JOBS",
        (
            Job("fails", f"{here}.fails"),
            Job(DUE_SCAN, "sending.passes.run_pass"),
            Job("records", f"{here}.records"),
            Job("hourly", f"{here}.hourly", every=beat.HOUR),
        ),
    )


def test_every_job_and_task_is_found():
    celery_app.loader.import_default_modules()
    for job in JOBS:
        assert callable(import_string(job.function)), job.name
        if job.celery:
            assert job.celery["task"] in celery_app.tasks, job.name


def test_celery_beat_reads_the_table(settings):
    assert celery_beat_schedule() == settings.CELERY_BEAT_SCHEDULE
    assert celery_app.conf.beat_schedule[DUE_SCAN] == {
        "task": "sending.tasks.dispatch_due",
        "schedule": beat.DISPATCH_EVERY,
    }
    assert set(celery_beat_schedule()) == {job.name for job in JOBS if job.celery}


def test_with_celery_the_pass_leaves_out_the_jobs_beat_sends_as_tasks():
    without = [job.name for job in pass_jobs(celery=False)]
    with_celery = [job.name for job in pass_jobs(celery=True)]
    assert "client-imports" in without and "client-imports" not in with_celery
    assert "bounce-mailbox" not in without and "bounce-mailbox" not in with_celery
    assert DUE_SCAN in without and DUE_SCAN in with_celery
    assert "webhooks" in with_celery


@pytest.mark.django_db
def test_a_failing_job_is_logged_and_the_others_run(table, caplog):
    caplog.set_level(logging.ERROR, logger="config.beat")
    report = tick(source="test")
    assert ran == ["fails", "records", "hourly"]
    assert report.claimed == 0
    [record] = caplog.records
    assert record.getMessage() == "Periodic job fails failed"
    assert "the job broke" in caplog.text


@pytest.mark.django_db
def test_a_job_with_an_interval_runs_once_in_it(table):
    tick(source="test")
    tick(source="test")
    assert ran.count("hourly") == 1 and ran.count("records") == 2
