"""Bounce reports per second: `process_bounce` in one process (a batch read from the
mailbox costs this per report), `process_bounce` as an MTA's pipe starts it (a new
process per report), and `fetch_bounces` emptying a real Dovecot over IMAP.

`make bench` runs it with the other benchmarks; `python -m bench bench.feedback` alone.
Against a throwaway test database (DATABASE_URL picks SQLite or PostgreSQL); each report
is a Postfix-style DSN about a delivery of its own, matched by its VERP token, and makes
a hard bounce. The Dovecot part needs Debian's dovecot-imapd (it says so when missing).

Environment: BENCH_BOUNCES (reports in one process and over IMAP, default 2000),
BENCH_BOUNCE_PIPES (processes started, default 20).
"""

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    # A log line per report would be most of what this prints.
    logging.getLogger("feedback").setLevel(logging.WARNING)
    settings.BOUNCE_DOMAIN = "bounces.example.com"
    count = int(os.environ.get("BENCH_BOUNCES", 2000))
    pipes = int(os.environ.get("BENCH_BOUNCE_PIPES", 20))
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        print(f"bounce reports benchmark: {connection.vendor} database")
        _in_process(count)
        _pipe(pipes)
        _imap(count)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _reports(count: int, prefix: str) -> tuple[list[bytes], list[int]]:
    """`count` deliveries of one run, each with a DSN about it; their client ids."""
    from audience.models import Client
    from feedback.tests.reports import dsn, verp
    from mailings.tests.factories import AttemptFactory
    from sending.models import Delivery

    attempt = AttemptFactory()
    owner = attempt.mailing.owner
    clients = Client.objects.bulk_create(
        Client(owner=owner, email=f"{prefix}{n}@example.org") for n in range(count)
    )
    deliveries = Delivery.objects.bulk_create(
        Delivery(attempt=attempt, client=client, email=client.email, status="sent")
        for client in clients
    )
    reports = [dsn(to=verp(delivery), recipient=delivery.email) for delivery in deliveries]
    return reports, [client.pk for client in clients]


def _bounced(client_ids: list[int]) -> int:
    from audience.models import Client

    return Client.objects.filter(pk__in=client_ids, status=Client.Status.BOUNCED).count()


def _in_process(count: int) -> None:
    from feedback.intake import report_process

    reports, client_ids = _reports(count, "inproc")
    started = time.perf_counter()
    for report in reports:
        report_process(report)
    took = time.perf_counter() - started
    print(
        f"  process_bounce, one process:        {count / took:8.0f} reports/s "
        f"({count} DSNs in {took:.2f} s, {_bounced(client_ids)} clients bounced)"
    )


def _pipe(count: int) -> None:
    from sending.tests.processes import django_env

    reports, client_ids = _reports(count, "pipe")
    env = django_env(BOUNCE_DOMAIN="bounces.example.com")
    started = time.perf_counter()
    for report in reports:
        subprocess.run(
            [sys.executable, "manage.py", "process_bounce"],
            input=report,
            cwd=ROOT,
            env=env,
            capture_output=True,
            check=True,
            timeout=120,
        )
    took = time.perf_counter() - started
    print(
        f"  process_bounce, a process a report: {count / took:8.1f} reports/s "
        f"({count} DSNs in {took:.2f} s, {_bounced(client_ids)} clients bounced)"
    )


def _imap(count: int) -> None:
    import imaplib

    from feedback.mailbox import mailbox_fetch
    from feedback.tests.dovecot import DOVECOT, PASSWORD, USER, Dovecot

    if not os.path.exists(DOVECOT):
        print("  fetch_bounces over IMAP: not measured, Dovecot is not installed")
        return
    reports, client_ids = _reports(count, "imap")
    dovecot = Dovecot().start()
    try:
        box = imaplib.IMAP4("127.0.0.1", dovecot.imap_port, timeout=30)
        box.login(USER, PASSWORD)
        for report in reports:
            box.append("INBOX", None, None, report)
        box.logout()
        started = time.perf_counter()
        fetched = mailbox_fetch(dovecot.url("imap"))
        took = time.perf_counter() - started
    finally:
        dovecot.stop()
    print(
        f"  fetch_bounces over IMAP (Dovecot):  {fetched / took:8.0f} reports/s "
        f"({fetched} DSNs in {took:.2f} s, {_bounced(client_ids)} clients bounced)"
    )
