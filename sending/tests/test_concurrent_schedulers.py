"""Two scheduler processes at once, on SQLite and on PostgreSQL: every client gets one copy."""

import signal
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

from mailings.tests.factories import mailing_to
from sending.models import Attempt

from .processes import django_env, manage, seed_mailing, wait_for
from .smtpd import SmtpServer

RECIPIENTS = 300


def run_two_schedulers(server: SmtpServer, env: dict, finished) -> tuple[str, str]:
    schedulers = [manage("run_scheduler", "--interval", "0.3", env=env) for _ in range(2)]
    try:
        wait_for(finished, timeout=60, what="the run to finish")
    finally:
        outputs = []
        for scheduler in schedulers:
            scheduler.send_signal(signal.SIGTERM)
            outputs.append(scheduler.communicate(timeout=20))
    for scheduler, (_out, err) in zip(schedulers, outputs, strict=True):
        assert scheduler.returncode == 0, err
    return outputs


def assert_each_client_got_one_copy(server: SmtpServer):
    copies = server.copies()
    assert len(copies) == RECIPIENTS
    assert set(copies.values()) == {1}
    # Both processes did part of the sending, each over its own pool of connections.
    assert 2 <= server.handler.connections <= 2 * django_settings.SMTP_CONNECTIONS


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_send_each_client_one_copy(settings):
    server = SmtpServer().start()
    server.faults.data_delay = 0.01  # long enough for the two to overlap
    settings.EMAIL_URL = server.url
    try:
        mailing_to(RECIPIENTS)
        run_two_schedulers(
            server,
            django_env(),
            lambda: Attempt.objects.filter(status=Attempt.Status.SUCCESS).exists(),
        )
        assert Attempt.objects.count() == 1
        assert Attempt.objects.get().sent_count == RECIPIENTS
        assert_each_client_got_one_copy(server)
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.services
def test_two_schedulers_at_once_on_postgresql(postgres_database, settings):
    import psycopg

    server = SmtpServer().start()
    server.faults.data_delay = 0.01
    settings.EMAIL_URL = server.url
    env = django_env(DATABASE_URL=postgres_database)
    try:
        seed_mailing(RECIPIENTS, env=env)

        def attempts() -> list[tuple[str, int]]:
            with psycopg.connect(postgres_database) as db:
                return db.execute("SELECT status, sent_count FROM mailings_attempt").fetchall()

        run_two_schedulers(server, env, lambda: attempts() and attempts()[0][0] == "success")
        assert attempts() == [("success", RECIPIENTS)]
        assert_each_client_got_one_copy(server)
    finally:
        server.stop()


@pytest.mark.services
def test_a_claim_that_waited_on_a_lock_sees_the_run_already_taken(postgres_database, settings):
    """Deterministically, the race two schedulers can run into on PostgreSQL: B reads the
    mailing as due, then waits on the row lock of A's claim; when A commits, B's claim
    must find the run taken (a condition hidden in a subquery would not be re-checked)."""
    import psycopg

    env = django_env(DATABASE_URL=postgres_database, EMAIL_URL="")
    mailing_id = seed_mailing(3, env=env)
    database = urlsplit(postgres_database).path.lstrip("/")

    with psycopg.connect(postgres_database) as claim_a:
        claim_a.execute("SELECT id FROM mailings_mailing WHERE id = %s FOR UPDATE", [mailing_id])
        scheduler_b = manage("send_mailings", env=env)

        def b_waits_on_the_lock() -> bool:
            with psycopg.connect(postgres_database) as probe:
                return bool(
                    probe.execute(
                        "SELECT 1 FROM pg_stat_activity WHERE datname = %s "
                        "AND wait_event_type = 'Lock'",
                        [database],
                    ).fetchall()
                )

        wait_for(b_waits_on_the_lock, timeout=60, what="scheduler B to wait on the claim's lock")
        claim_a.execute(
            "UPDATE mailings_mailing SET next_run_at = NULL, status = 'running' WHERE id = %s",
            [mailing_id],
        )
        claim_a.commit()
    _out, err = scheduler_b.communicate(timeout=60)
    assert scheduler_b.returncode == 0, err
    with psycopg.connect(postgres_database) as db:
        assert db.execute("SELECT count(*) FROM mailings_attempt").fetchone() == (0,)
