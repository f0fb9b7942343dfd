"""One run of a mailing at a time is a rule of the database, not only of the code: a
resend and a claim racing on PostgreSQL cannot both open a run."""

import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from mailings.tests.factories import mailing_to
from sending.models import Attempt

from .processes import ROOT, django_env, manage, seed_mailing, wait_for

pytestmark = pytest.mark.services


def python(code: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_resend_and_a_claim_at_once_open_one_run(postgres_database):
    """The resend has checked that no run is under way and waits (on a lock held here)
    to reopen its run; meanwhile the scheduler claims the mailing's Send now. When the
    lock goes, only one of the two may have an open run."""
    import psycopg

    env = django_env(DATABASE_URL=postgres_database, EMAIL_URL="")
    mailing_id = seed_mailing(3, env=env)
    first_run = manage("send_mailings", env=env)
    _out, err = first_run.communicate(timeout=120)
    assert first_run.returncode == 0, err
    database = urlsplit(postgres_database).path.lstrip("/")
    with psycopg.connect(postgres_database, autocommit=True) as db:
        [(attempt_id,)] = db.execute("SELECT id FROM mailings_attempt").fetchall()
        # The run ended with one failure, and its owner has pressed Send now since.
        db.execute(
            "UPDATE mailings_delivery SET status = 'failed' WHERE id = "
            "(SELECT min(id) FROM mailings_delivery WHERE attempt_id = %s)",
            [attempt_id],
        )
        db.execute("UPDATE mailings_attempt SET status = 'failure' WHERE id = %s", [attempt_id])
        db.execute(
            "UPDATE mailings_mailing SET send_requested_at = now() WHERE id = %s", [mailing_id]
        )

    def waiting_on_locks() -> int:
        with psycopg.connect(postgres_database) as probe:
            return probe.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                "AND wait_event_type = 'Lock'",
                [database],
            ).fetchone()[0]

    with psycopg.connect(postgres_database) as lock:
        lock.execute("SELECT id FROM mailings_attempt WHERE id = %s FOR UPDATE", [attempt_id])
        resend = python(
            "from sending.models import Attempt; from sending.services import attempt_resend; "
            f"print(attempt_resend(attempt=Attempt.objects.get(pk={attempt_id})))",
            env,
        )
        wait_for(lambda: waiting_on_locks() == 1, timeout=60, what="the resend to wait")
        claim = python(
            "from django.utils import timezone; from sending.claims import runs_claim_due; "
            "print(len(runs_claim_due(now=timezone.now())))",
            env,
        )
        # The claim either finishes or waits behind the resend.
        wait_for(
            lambda: claim.poll() is not None or waiting_on_locks() == 2,
            timeout=60,
            what="the claim to finish or wait",
        )
        lock.commit()
    for process in (resend, claim):
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    with psycopg.connect(postgres_database) as db:
        assert db.execute(
            "SELECT count(*) FROM mailings_attempt "
            "WHERE mailing_id = %s AND status = 'in_progress'",
            [mailing_id],
        ).fetchone() == (1,)


@pytest.mark.django_db
def test_the_database_refuses_a_second_open_run():
    mailing = mailing_to(1)
    Attempt.objects.create(mailing=mailing, started_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.create(mailing=mailing, started_at=timezone.now())
