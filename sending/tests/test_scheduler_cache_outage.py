"""The embedded scheduler, a real process on a Redis of its own, through a Redis stop and
start in the middle of a run: it keeps sending, nobody is lost or doubled, nothing is
`unknown`, and once Redis is back its heartbeat and wake-ups work again."""

import signal
import subprocess
import sys
import time

import pytest
from django.utils import timezone

from config.tests.services import redis_cache_settings
from mailings.tests.factories import mailing_to
from sending.heartbeat import last_beat
from sending.models import Attempt, Delivery

from .processes import ROOT, django_env, wait_for
from .smtpd import SmtpServer

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RECIPIENTS = 400
OUTAGE = 5.0  # seconds Redis stays down, at most
RESUME_WITHIN = 10.0


@pytest.mark.parametrize("fault", ["stopped", "hung"])
def test_the_scheduler_keeps_sending_through_a_cache_outage(
    fault, settings, private_redis, tmp_path
):
    """stopped: connections are refused, Redis comes back empty; hung (SIGSTOP): every
    call waits for its timeout, Redis comes back with its data."""
    settings.CACHES = redis_cache_settings(private_redis.url())
    server = SmtpServer().start()
    # A run of several seconds, the outage inside it: 0.2 s per message on each of the
    # pool's ten connections.
    server.faults.data_delay = 0.2
    settings.EMAIL_URL = server.url
    log_path = tmp_path / "scheduler.log"
    scheduler = subprocess.Popen(
        [sys.executable, "manage.py", "run_scheduler"],
        cwd=ROOT,
        env=django_env(CACHE_URL=private_redis.url(), SMTP_TIMEOUT=5),
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(last_beat, timeout=30, what="the scheduler's heartbeat")
        mailing = mailing_to(RECIPIENTS)  # due now; wakes the scheduler through Redis
        first = wait_for(lambda: server.messages and time.monotonic(), timeout=10, what="1st")
        wait_for(lambda: len(server.messages) >= RECIPIENTS // 4, timeout=60, what="a quarter")

        if fault == "stopped":
            private_redis.stop()
        else:
            private_redis.pause()
        stopped = time.monotonic()
        sent_at_stop = len(server.messages)
        # Down for OUTAGE seconds (a heartbeat or more), or less if sending is faster: Redis
        # must come back while the run still goes on.
        while time.monotonic() - stopped < OUTAGE and len(server.messages) < RECIPIENTS * 3 // 4:
            time.sleep(0.05)
        sent_during_outage = len(server.messages) - sent_at_stop
        outage = time.monotonic() - stopped
        assert scheduler.poll() is None, "the scheduler died with the cache"
        if fault == "stopped":
            private_redis.start()
        else:
            private_redis.resume()
        back, back_at = time.monotonic(), timezone.now()
        assert len(server.messages) < RECIPIENTS, "the outage must fall inside the run"

        wait_for(
            lambda: (beat := last_beat()) and beat[0] >= back_at,
            timeout=RESUME_WITHIN,
            what="a fresh heartbeat in the returned cache",
        )
        heartbeat_after = time.monotonic() - back
        attempt = Attempt.objects.get(mailing=mailing)
        wait_for(
            lambda: Attempt.objects.filter(pk=attempt.pk, finished_at__isnull=False).exists(),
            timeout=60,
            what="the run to finish",
        )
        # A mailing created now is woken up through the returned cache and sent at once.
        created = time.monotonic()
        second = mailing_to(3, prefix="after")
        wait_for(
            lambda: len(server.messages) >= RECIPIENTS + 3,
            timeout=RESUME_WITHIN,
            what="the mailing created after the outage",
        )
        new_mailing_after = time.monotonic() - created
        assert scheduler.poll() is None
    finally:
        scheduler.send_signal(signal.SIGTERM)
        scheduler.wait(timeout=30)
        server.stop()
    log = log_path.read_text()

    copies = server.copies()
    assert len(copies) == RECIPIENTS + 3, "somebody was lost"
    assert max(copies.values()) == 1, "somebody got two copies"
    statuses = Delivery.objects.values_list("status", flat=True)
    assert set(statuses) == {Delivery.Status.SENT}, set(statuses)
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUCCESS
    assert attempt.sent_count == RECIPIENTS and attempt.unknown_count == 0
    assert Attempt.objects.get(mailing=second).status == Attempt.Status.SUCCESS
    assert sent_during_outage > 0, "sending stopped with the cache"
    assert scheduler.returncode == 0, log
    assert "Scheduler pass failed" not in log, log
    assert log.count("fails; carrying on without it") == 1, log
    assert log.count("works again") == 1, log
    print(
        f"\ncache {fault} {outage:.1f} s at {timezone.now():%H:%M:%S}: "
        f"{sent_during_outage} sent during it ({sent_during_outage / outage:.0f}/s, "
        f"{sent_at_stop / (stopped - first):.0f}/s before it); a fresh heartbeat "
        f"{heartbeat_after:.1f} s after Redis returned; a mailing created after the run "
        f"sent in {new_mailing_after:.1f} s"
    )
