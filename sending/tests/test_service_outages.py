"""A PostgreSQL and a Redis of the test's own, stopped and started again in the middle of
a run (issue #12): with the embedded scheduler and with Celery workers, nobody is lost or
doubled, no delivered message turns `unknown`, the run closes, the processes live on,
and sending resumes within seconds of the service's return.

Every process of these tests (the scheduler, celery, gunicorn) runs on the private
services; the test reads the private database with psycopg and counts copies per
recipient in the SMTP server's received list. `pytest -s` shows one line of figures per
scenario.
"""

import signal
import subprocess
import sys
import time

import psycopg
import pytest
import requests

from config.tests.services import free_port, wait_for_port

from .processes import ROOT, django_env, seed_mailing, wait_for
from .smtpd import SmtpServer

pytestmark = [pytest.mark.services, pytest.mark.slow]

RECIPIENTS = 300
OUTAGE = 5.0  # seconds the service stays down
RESUME_WITHIN = 10.0


class Stack:
    """The SMTP server, the private database and the processes of one scenario."""

    def __init__(self, tmp_path, database_url: str, **env):
        self.tmp_path = tmp_path
        self.database_url = database_url
        self.server = SmtpServer().start()
        # Each message takes a while, so that a run spans the outage.
        self.server.faults.data_delay = 0.02
        self.env = django_env(
            DJANGO_SETTINGS_MODULE="config.test_settings",  # plain HTTP for gunicorn
            DATABASE_URL=database_url,
            EMAIL_URL=self.server.url,
            VAR_DIR=tmp_path / "var",
            ENV_FILE="/dev/null",
            SMTP_TIMEOUT=5,
            **env,
        )
        if "CACHE_URL" not in env:
            self.env.pop("CACHE_URL", None)  # a file cache in its own VAR_DIR
        self.processes: dict[str, subprocess.Popen] = {}
        self.site = ""
        self.pages: dict[str, set[int]] = {}
        self.health: dict = {}

    def spawn(self, name: str, *args: str) -> subprocess.Popen:
        with (self.tmp_path / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self.processes[name] = process
        return process

    def start_site(self) -> str:
        """gunicorn on the same services; its URL."""
        port = free_port()
        self.spawn(
            "gunicorn",
            f"{sys.prefix}/bin/gunicorn",
            "config.wsgi",
            "--config",
            "deploy/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        )
        wait_for_port(port)
        self.site = f"http://127.0.0.1:{port}"
        assert requests.get(f"{self.site}/", timeout=10).status_code == 200
        return self.site

    def ask_for_pages(self) -> None:
        """The home page, the blog and /healthz, a second into the outage (once the
        connections cut off are gone); their statuses go to `pages`, /healthz's body to
        `health`."""
        time.sleep(1)
        for path in ("/", "/blog/", "/healthz"):
            response = requests.get(f"{self.site}{path}", timeout=10)
            self.pages.setdefault(path, set()).add(response.status_code)
            if path == "/healthz":
                assert response.headers["Content-Type"] == "application/json"
                self.health = response.json()

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(errors="replace")

    def query(self, sql: str) -> list[tuple]:
        with psycopg.connect(self.database_url, autocommit=True, connect_timeout=2) as db:
            return db.execute(sql).fetchall()

    def run_state(self) -> tuple | None:
        rows = self.query(
            "SELECT status, sent_count, unknown_count, failed_count FROM mailings_attempt"
        )
        return rows[0] if rows else None

    def sent(self) -> int:
        return len(self.server.messages)

    def close(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.server.stop()

    def check_delivered_once(self) -> None:
        """Every client got exactly one copy, every row is `sent`, the run succeeded."""
        copies = self.server.copies()
        assert len(copies) == RECIPIENTS, f"{RECIPIENTS - len(copies)} lost"
        assert max(copies.values()) == 1, {r: n for r, n in copies.items() if n > 1}
        assert self.query("SELECT status, count(*) FROM mailings_delivery GROUP BY status") == [
            ("sent", RECIPIENTS)
        ]
        assert self.run_state() == ("success", RECIPIENTS, 0, 0)


def outage(stop, start, stack: Stack, *, during=lambda: None) -> tuple[float, int]:
    """Stop a service once a quarter of the run is sent, keep it down OUTAGE seconds
    (calling `during` meanwhile), start it again; (when it was back, copies by then)."""
    wait_for(lambda: stack.sent() >= RECIPIENTS // 4, timeout=60, what="a quarter sent")
    stop()
    stopped = time.monotonic()
    during()
    time.sleep(max(0.0, OUTAGE - (time.monotonic() - stopped)))
    assert stack.sent() < RECIPIENTS, "the run ended before the service came back"
    start()
    return time.monotonic(), stack.sent()


def start_celery_run(stack: Stack):
    """Celery worker and beat, the site, and a run to send: the worker's process."""
    worker = start_celery(stack)
    stack.start_site()
    seed_mailing(RECIPIENTS, env=stack.env)
    return worker


def through_an_outage(
    stop, start, stack: Stack, process, *, what: str, resume_within: float = RESUME_WITHIN
) -> tuple[float, float]:
    """The outage above with `process` (the sender) alive through it: (seconds from the
    service's return until sending resumed, until the run closed)."""
    back, sent_when_back = outage(stop, start, stack, during=stack.ask_for_pages)
    assert process.poll() is None, f"the sender died with the {what}"
    wait_for(lambda: stack.sent() > sent_when_back, timeout=resume_within, what="resuming")
    resumed = time.monotonic() - back
    wait_for(lambda: stack.run_state()[0] == "success", timeout=60, what="the run to close")
    closed = time.monotonic() - back
    assert process.poll() is None, f"the sender died after the {what} came back"
    return resumed, closed


def test_the_scheduler_sends_through_a_postgresql_restart(private_postgres, tmp_path):
    """(a) run_scheduler, a real process, while its PostgreSQL is stopped for OUTAGE
    seconds; meanwhile the site (gunicorn, on the same database) is asked for pages."""
    stack = Stack(tmp_path, private_postgres.create_database("rassylka", migrate=True))
    try:
        seed_mailing(RECIPIENTS, env=stack.env)
        site = stack.start_site()
        scheduler = stack.spawn(
            "scheduler", sys.executable, "manage.py", "run_scheduler", "--interval", "0.5"
        )
        resumed, closed = through_an_outage(
            private_postgres.stop, private_postgres.start, stack, scheduler, what="database"
        )
        home_after = requests.get(f"{site}/", timeout=10).status_code
    finally:
        stack.close()
    stack.check_delivered_once()
    assert scheduler.returncode == 0, stack.log("scheduler")[-3000:]
    # The outage hit the run (a window's outcomes waited for the database), not a gap.
    assert "Recording outcomes failed" in stack.log("scheduler")
    # /healthz answers its documented 503 JSON; the anonymous home page is the shared
    # copy kept in the cache, served without the database; a page that needs the
    # database says "back in a moment" (503 with Retry-After), not 500.
    assert stack.pages == {"/": {200}, "/blog/": {503}, "/healthz": {503}}, stack.pages
    assert stack.health["status"] == "degraded" and stack.health["database"]["ok"] is False
    assert home_after == 200
    print(
        f"\npostgresql stopped {OUTAGE:.0f} s, run_scheduler: sent {len(stack.server.copies())}"
        f"/{RECIPIENTS}, doubled 0, unknown 0; sending resumed {resumed:.1f} s and the run "
        f"closed {closed:.1f} s after PostgreSQL returned; pages during it: {stack.pages}"
    )


def start_celery(stack: Stack) -> subprocess.Popen:
    """A worker of two processes with beat embedded (-B): beat's dispatch_due every
    5 s hands the run out in batches."""
    return stack.spawn(
        "celery",
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-B",
        "--schedule",
        str(stack.tmp_path / "beat-schedule"),
        "--concurrency",
        "2",
        "--without-gossip",
        "--without-mingle",
        "--loglevel",
        "INFO",
    )


def celery_stack(tmp_path, private_postgres, private_redis) -> Stack:
    stack = Stack(
        tmp_path,
        private_postgres.create_database("rassylka", migrate=True),
        CELERY_BROKER_URL=private_redis.url(db=1),
        CACHE_URL=private_redis.url(db=0),
        SEND_BATCH_SIZE=25,
        SEND_BATCH_LEASE=BATCH_LEASE,
    )
    # Two workers: slower messages, so that the run still spans the outage.
    stack.server.faults.data_delay = 0.05
    return stack


BATCH_LEASE = 5.0


def test_celery_workers_send_through_a_postgresql_restart(
    private_postgres, private_redis, tmp_path
):
    """(b) Celery workers and beat, broker and cache on a private Redis, while their
    PostgreSQL is stopped for OUTAGE seconds."""
    stack = celery_stack(tmp_path, private_postgres, private_redis)
    try:
        worker = start_celery_run(stack)
        resumed, closed = through_an_outage(
            private_postgres.stop, private_postgres.start, stack, worker, what="database"
        )
    finally:
        stack.close()
    stack.check_delivered_once()
    assert stack.pages == {"/": {200}, "/blog/": {503}, "/healthz": {503}}, stack.pages
    assert "Recording outcomes failed" in stack.log("celery")
    print(
        f"\npostgresql stopped {OUTAGE:.0f} s, celery: sent {len(stack.server.copies())}"
        f"/{RECIPIENTS}, doubled 0, unknown 0; sending resumed {resumed:.1f} s and the run "
        f"closed {closed:.1f} s after PostgreSQL returned; pages during it: {stack.pages}"
    )


def test_celery_workers_send_through_a_broker_restart(private_postgres, private_redis, tmp_path):
    """(c) The Redis that is both broker and cache stopped for OUTAGE seconds: it comes
    back empty, the queued batches lost; beat hands their rows out again once their
    SEND_BATCH_LEASE is over."""
    stack = celery_stack(tmp_path, private_postgres, private_redis)
    try:
        worker = start_celery_run(stack)
        resumed, closed = through_an_outage(
            private_redis.stop,
            private_redis.start,
            stack,
            worker,
            what="broker",
            resume_within=BATCH_LEASE + RESUME_WITHIN,
        )
    finally:
        stack.close()
    stack.check_delivered_once()
    assert "Connection to broker lost" in stack.log("celery")
    # Without the cache and the broker the site works, and /healthz says what is missing.
    assert stack.pages == {"/": {200}, "/blog/": {200}, "/healthz": {200}}, stack.pages
    assert stack.health["status"] == "degraded"
    assert stack.health["cache"]["ok"] is False and stack.health["broker"]["ok"] is False
    # The lost batches come back after their lease and the next beat (every 5 s); the
    # rest of the run takes a few seconds more.
    assert closed < BATCH_LEASE + 15, f"the run closed {closed:.1f} s after Redis returned"
    print(
        f"\nredis (broker and cache) stopped {OUTAGE:.0f} s, celery: sent "
        f"{len(stack.server.copies())}/{RECIPIENTS}, doubled 0, unknown 0; sending resumed "
        f"{resumed:.1f} s and the run closed {closed:.1f} s after Redis returned; "
        f"pages during it: {stack.pages}"
    )
