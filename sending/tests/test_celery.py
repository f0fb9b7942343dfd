"""Celery mode (CELERY_BROKER_URL set): the same dispatcher, split into idempotent batch
tasks. Eager mode checks the wiring; the last test runs real workers on Redis."""

import datetime as dt
import signal
import subprocess
import sys
import time

import pytest
from django.test import TestCase
from django.utils import timezone

from config.celery import app as celery_app
from mailings.lifecycle import enqueue_run
from mailings.tests.factories import mailing_to
from sending import tasks
from sending.models import Attempt, Delivery
from sending.passes import attempt_enqueue_batches, run_pass
from sending.send import attempt_send

from .processes import ROOT, django_env, wait_for
from .smtpd import SmtpServer, free_port


@pytest.fixture
def eager(settings):
    settings.CELERY_BROKER_URL = "memory://"
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_beat_scans_for_due_runs_every_few_seconds():
    schedule = celery_app.conf.beat_schedule
    assert schedule["sending-dispatch"]["task"] == "sending.tasks.dispatch_due"
    assert schedule["sending-dispatch"]["schedule"] <= 10
    celery_app.loader.import_default_modules()
    assert {"sending.tasks.dispatch_due", "sending.tasks.send_batch"} <= set(celery_app.tasks)


def handed_out(**kwargs) -> tuple[list, object]:
    """Run a pass in Celery mode; return the batches it enqueued (on commit) and its report."""
    batches = []
    with TestCase.captureOnCommitCallbacks(execute=True):
        report = run_pass(
            enqueue=lambda attempt_id, ids: batches.append((attempt_id, ids)), **kwargs
        )
    return batches, report


@pytest.mark.django_db
def test_a_run_is_split_into_batches_of_delivery_ids(settings, smtp_server, eager):
    settings.SEND_BATCH_SIZE = 4
    mailing_to(10)
    batches, report = handed_out()
    assert report.batches == 3
    assert sorted(len(ids) for _, ids in batches) == [2, 4, 4]
    assert not smtp_server.copies()  # the pass only hands batches out
    # Handed out: the next beat does not hand the same rows out again.
    assert handed_out()[0] == []

    for attempt_id, ids in batches:
        tasks.send_batch(attempt_id, ids)
    assert len(smtp_server.copies()) == 10
    assert Attempt.objects.get().status == Attempt.Status.SUCCESS


@pytest.mark.django_db
def test_a_batch_task_delivered_twice_sends_nothing_twice(smtp_server, eager):
    mailing_to(5)
    [(attempt_id, ids)] = handed_out()[0]
    tasks.send_batch(attempt_id, ids)
    tasks.send_batch(attempt_id, ids)  # a redelivery after a lost ack
    assert set(smtp_server.copies().values()) == {1}
    assert len(smtp_server.copies()) == 5


@pytest.mark.django_db
def test_send_now_enqueues_a_task_on_commit_that_sends(
    smtp_server, eager, django_capture_on_commit_callbacks
):
    mailing = mailing_to(3)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enqueue_run(mailing=mailing)
        assert not smtp_server.copies()  # nothing before the commit
    assert callbacks
    # The pass claimed both the scheduled run and the request as one run.
    assert len(smtp_server.copies()) == 3
    assert set(smtp_server.copies().values()) == {1}


@pytest.mark.django_db
def test_retries_come_back_with_a_later_beat(settings, smtp_server, eager):
    settings.SEND_RETRY_BACKOFF = 0
    mailing_to(2)
    smtp_server.faults.rcpt_replies = {"reader0@example.org": "451 4.7.1 Try later"}
    [(attempt_id, ids)] = handed_out()[0]
    tasks.send_batch(attempt_id, ids)
    retry = Delivery.objects.get(email="reader0@example.org")
    assert (retry.status, retry.tries) == (Delivery.Status.PENDING, 1)
    # The next beat hands the row out again once its backoff is over.
    assert handed_out()[0] == [(attempt_id, [retry.pk])]


@pytest.mark.django_db
def test_a_batch_the_broker_lost_is_handed_out_again_after_its_short_lease(
    settings, smtp_server, eager, time_machine
):
    settings.SEND_BATCH_LEASE = 30
    mailing_to(3)
    [(attempt_id, ids)] = handed_out()[0]  # ...and the broker loses it
    time_machine.move_to(timezone.now() + dt.timedelta(seconds=20))
    assert handed_out()[0] == []  # its task may still be on its way
    time_machine.move_to(timezone.now() + dt.timedelta(seconds=15))
    assert handed_out()[0] == [(attempt_id, ids)]


@pytest.mark.django_db
def test_a_task_renews_the_lease_of_the_rows_it_has_not_reached_yet(settings, smtp_server, eager):
    settings.SEND_BATCH_LEASE = 0.3
    settings.SEND_WINDOW = 2
    settings.SMTP_CONNECTIONS = 1  # a pool would widen the window to two rows per connection
    mailing_to(6)
    [(attempt_id, ids)] = handed_out()[0]
    beats = []

    def progress() -> None:
        if not beats:
            time.sleep(0.35)  # the lease given at hand-out lapses during the first window
            beats.append("lapsed")
            return
        # A beat now: the two rows this task has yet to reach must not be handed out
        # again (without the renewal at the second window's claim they would be).
        beats.append(
            attempt_enqueue_batches(attempt_id=attempt_id, now=timezone.now(), enqueue=print)
        )

    report = attempt_send(attempt_id=attempt_id, delivery_ids=ids, on_progress=progress)
    assert report.sent == 6
    assert beats == ["lapsed", 0, 0]
    assert set(smtp_server.copies().values()) == {1}


@pytest.mark.slow
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_real_workers_share_a_large_run(settings, tmp_path, private_redis):
    # A broker of the test's own: on a shared Redis, any other suite's workers on the
    # same db would take these batches.
    broker_url = private_redis.url()
    server = SmtpServer().start()
    server.faults.data_delay = 0.005
    settings.EMAIL_URL = server.url
    settings.CELERY_BROKER_URL = broker_url
    env = django_env(CELERY_BROKER_URL=broker_url, SEND_BATCH_SIZE=25)
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    quiet = ["--loglevel", "INFO"]
    processes = [
        subprocess.Popen(
            [
                *celery,
                "worker",
                "--concurrency",
                "2",
                *quiet,
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ),
        subprocess.Popen(
            [*celery, "beat", *quiet, "--schedule", str(tmp_path / "beat-schedule")],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ),
    ]
    try:
        mailing_to(200)
        wait_for(
            lambda: Attempt.objects.filter(status=Attempt.Status.SUCCESS).exists(),
            timeout=60,
            what="the workers to finish the run",
        )
        copies = server.copies()
        assert len(copies) == 200 and set(copies.values()) == {1}
        # Both worker processes took batches, each over its own connection.
        assert server.handler.connections >= 2
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        logs = []
        for process in processes:
            try:
                logs.append(process.communicate(timeout=20)[0])
            except subprocess.TimeoutExpired:
                process.kill()
        server.stop()
        print("\n".join(logs))  # shown by pytest when the test fails
        print(list(Attempt.objects.values_list("status", "total_count")))
        print(list(Delivery.objects.order_by().values_list("status", "next_try_at").distinct()))


@pytest.mark.django_db
def test_a_batch_stopped_by_the_breaker_gives_its_rows_back_at_once(settings, eager):
    settings.EMAIL_URL = f"smtp://127.0.0.1:{free_port()}"  # refused
    settings.SEND_WINDOW = 2
    mailing_to(10)
    [(attempt_id, ids)] = handed_out()[0]
    leased = Delivery.objects.filter(next_try_at__isnull=False).count()
    assert leased == 10
    report = tasks.send_batch(attempt_id, ids)
    assert report["stopped"] == "connection"
    # Nothing was sent, nothing is left leased to the dead task: the next beat after
    # the cooldown hands every row out again.
    assert set(Delivery.objects.values_list("status", "tries", "next_try_at")) == {
        ("pending", 0, None)
    }
