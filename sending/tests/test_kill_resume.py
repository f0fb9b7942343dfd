"""SIGKILL a sending process mid-run, then resume: nobody holds two copies, everyone whose
message was not in flight holds exactly one, and the few in flight are `unknown`."""

import datetime as dt
import signal

import pytest
from django.utils import timezone

from mailings.tests.factories import mailing_to
from sending.models import Attempt, Delivery
from sending.passes import run_pass

from .processes import django_env, manage, wait_for
from .smtpd import SmtpServer

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RECIPIENTS = 200
WINDOW = 5
LEASE = 1.0


def test_a_killed_sender_is_resumed_without_doubles_or_losses(settings):
    server = SmtpServer().start()
    # A slow-ish server: each message is kept, then confirmed 20 ms later.
    server.faults.data_delay = 0.02
    settings.EMAIL_URL = server.url
    settings.SEND_LEASE = LEASE
    mailing = mailing_to(RECIPIENTS)
    sender = manage(
        "send_mailing",
        str(mailing.pk),
        # Two connections: the pool at work, its window no wider than WINDOW.
        env=django_env(SEND_WINDOW=WINDOW, SMTP_CONNECTIONS=2, SEND_LEASE=LEASE, SMTP_TIMEOUT=5),
    )
    try:
        wait_for(lambda: len(server.messages) >= 60, timeout=30, what="60 messages in the sink")
        sender.send_signal(signal.SIGKILL)
        sender.wait(timeout=10)
        assert sender.returncode == -signal.SIGKILL

        attempt = Attempt.objects.get()
        at_kill = dict(Delivery.objects.filter(attempt=attempt).values_list("email", "status"))
        in_flight = {email for email, status in at_kill.items() if status == "sending"}
        assert 1 <= len(in_flight) <= WINDOW
        assert "pending" in at_kill.values()  # killed mid-run indeed
        copies_at_kill = server.copies()
        # Whatever the database calls sent is in the sink; nothing pending is.
        assert {e for e, s in at_kill.items() if s == "sent"} <= set(copies_at_kill)
        assert not {e for e, s in at_kill.items() if s == "pending"} & set(copies_at_kill)

        # A pass once the dead worker's lease ran out.
        run_pass(now=timezone.now() + dt.timedelta(seconds=LEASE + 0.2))
    finally:
        if sender.poll() is None:
            sender.kill()
        server.stop()

    attempt.refresh_from_db()
    after = dict(Delivery.objects.filter(attempt=attempt).values_list("email", "status"))
    copies = server.copies()
    assert max(copies.values()) == 1, "somebody holds two copies"
    assert {email for email, status in after.items() if status == "unknown"} == in_flight
    for email in set(after) - in_flight:
        assert copies[email] == 1, f"{email} was not in flight but holds {copies[email]}"
        assert after[email] == "sent"
    for email in in_flight:
        assert copies[email] <= 1
    assert attempt.status == Attempt.Status.FAILURE  # unknown rows make it so
    assert (attempt.sent_count, attempt.unknown_count) == (
        RECIPIENTS - len(in_flight),
        len(in_flight),
    )
