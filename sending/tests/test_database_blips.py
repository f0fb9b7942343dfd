"""The database going away in the middle of a run (issue #12): the scheduler lives on,
the ledger keeps every outcome until it is recorded, and the run closes as soon as the
database answers again. On a PostgreSQL of the test's own, whose connections are
terminated (pg_terminate_backend) while the run goes on."""

import signal
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from .processes import ROOT, django_env, seed_mailing, wait_for
from .smtpd import SmtpServer

RECIPIENTS = 300
BLIPS = 3


@pytest.mark.slow
@pytest.mark.services
def test_connections_dropped_mid_run_lose_double_and_blur_nothing(postgres_database, tmp_path):
    import psycopg

    database = urlsplit(postgres_database).path.lstrip("/")
    server = SmtpServer().start()
    server.faults.data_delay = 0.01  # a run of a few seconds, so the blips land inside it
    env = django_env(DATABASE_URL=postgres_database, EMAIL_URL=server.url)

    def query(sql: str, params=()) -> list[tuple]:
        with psycopg.connect(postgres_database, autocommit=True) as db:
            return db.execute(sql, params).fetchall()

    try:
        seed_mailing(RECIPIENTS, env=env)
        with open(tmp_path / "scheduler.log", "w") as log:
            scheduler = subprocess.Popen(
                [sys.executable, "manage.py", "run_scheduler", "--interval", "0.3"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            for blip in range(1, BLIPS + 1):
                wait_for(
                    lambda blip=blip: len(server.copies()) >= blip * RECIPIENTS // (BLIPS + 2),
                    timeout=60,
                    what=f"sending before blip {blip}",
                )
                terminated = query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [database],
                )
                assert terminated, "the scheduler had no connection to drop"
            wait_for(
                lambda: query("SELECT status FROM mailings_attempt") == [("success",)],
                timeout=60,
                what="the run to close",
            )
            assert scheduler.poll() is None, "the scheduler died"
        finally:
            scheduler.send_signal(signal.SIGTERM)
            scheduler.wait(timeout=30)
        assert scheduler.returncode == 0, (tmp_path / "scheduler.log").read_text()[-3000:]
        copies = server.copies()
        assert len(copies) == RECIPIENTS
        assert set(copies.values()) == {1}
        assert query("SELECT status, count(*) FROM mailings_delivery GROUP BY status") == [
            ("sent", RECIPIENTS)
        ]
        assert "Recording outcomes failed" in (tmp_path / "scheduler.log").read_text()
    finally:
        server.stop()
