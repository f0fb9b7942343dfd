"""Load test: gunicorn + PostgreSQL + Redis + Celery, driven by wrk at concurrency 16.

    .venv/bin/python -m loadtest.run [--seconds 30] [--connections 16]

Measures the anonymous home page, the lists, a mailing detail and a bare Django view,
first while a large mailing goes to a healthy SMTP server, then while it goes to one
that accepts connections and never answers. Prints requests/s and p50/p99 per page.
Needs wrk (apt-get install wrk), PostgreSQL and Redis on this machine.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from e2e.stack import Stack

SEED = """
from allauth.account.models import EmailAddress
from datetime import timedelta
from django.utils import timezone
from accounts.models import User
from mailings.models import Mailing, Message
from audience.models import Client

user = User.objects.create_user(email="load@example.com", password="load-test-pass-2026")
EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
Client.objects.bulk_create(
    Client(owner=user, email=f"client{n}@example.com", full_name=f"Клиент {n}")
    for n in range(CLIENTS)
)
message = Message.objects.create(owner=user, subject="Новости, {{ full_name }}", body="Привет!")
now = timezone.now()
for n in range(60):
    mailing = Mailing.objects.create(
        owner=user, message=message, start_at=now + timedelta(days=30 + n),
        end_at=now + timedelta(days=400), periodicity="weekly",
    )
    mailing.clients.set(Client.objects.filter(owner=user)[: 50])
big = Mailing.objects.create(
    owner=user, message=message, start_at=now + timedelta(days=365),
    periodicity="once",
)
big.clients.set(Client.objects.filter(owner=user))
print("BIG", big.pk)
"""

PAGES = ["/bare/", "/", "/clients/", "/messages/", "/mailings/", "/mailings/{big}/"]


def wrk(
    url: str, *, seconds: int, connections: int, cookie: str | None, script: Path | None = None
) -> dict:
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if cookie:
        argv += ["-H", f"Cookie: {cookie}"]
    if script:
        argv += ["-s", str(script)]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def percentile(p: str) -> str:
        return re.search(rf"^\s+{p}%\s+(\S+)", out, re.MULTILINE).group(1)

    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rate": rate,
        "p50": percentile("50"),
        "p99": percentile("99"),
        "bad": int(errors.group(1)) if errors else 0,
    }


def measure(stack: Stack, big: int, cookie: str, args) -> list[tuple[str, dict]]:
    results = []
    for page in PAGES:
        path = page.format(big=big)
        anonymous = path in ("/", "/bare/")
        results.append(
            (
                path + (" (anonymous)" if anonymous else ""),
                wrk(
                    stack.url(path),
                    seconds=args.seconds,
                    connections=args.connections,
                    cookie=None if anonymous else cookie,
                ),
            )
        )
    return results


def start_big_run(stack: Stack, big: int) -> None:
    stack.manage(
        "shell",
        "-c",
        f"from mailings.models import Mailing; from mailings.lifecycle "
        f"import enqueue_run; enqueue_run(mailing=Mailing.objects.get(pk={big}))",
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--clients", type=int, default=20000)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")

    report = {}
    for smtp in ("healthy", "hanging"):
        workdir = Path(tempfile.mkdtemp(prefix=f"rassylka-load-{smtp}-"))
        stack = Stack(
            workdir,
            extra_env={
                "DJANGO_SETTINGS_MODULE": "loadtest.settings",
                "SMTP_TIMEOUT": "30",
                "LOG_LEVEL": "WARNING",
            },
        )
        try:
            stack.prepare()
            big = int(
                stack.manage("shell", "-c", SEED.replace("CLIENTS", str(args.clients))).split()[-1]
            )
            stack.start_sink(hang=smtp == "hanging")
            stack.start_web(workers=3)
            stack.start_worker("worker", concurrency=1)
            stack.start_beat()
            session = stack.browser_session()
            session.submit(
                "/accounts/login/", {"login": "load@example.com", "password": "load-test-pass-2026"}
            )
            cookie = f"sessionid={session.http.cookies['sessionid']}"
            start_big_run(stack, big)
            time.sleep(5)  # let the run get going before measuring
            received_before = stack.received_count()
            report[smtp] = measure(stack, big, cookie, args)
            print(
                f"[{smtp} SMTP] messages received by the SMTP server during the test: "
                f"{stack.received_count() - received_before}",
                flush=True,
            )
        finally:
            stack.stop()

    print(f"\nwrk: {args.connections} connections, {args.seconds} s per page, gunicorn 3 workers,")
    print("PostgreSQL, Redis cache and broker, 1 Celery worker sending a large mailing\n")
    print(f"{'page':34} {'SMTP':8} {'req/s':>9} {'p50':>9} {'p99':>9} {'non-2xx':>8}")
    for smtp, rows in report.items():
        for page, figures in rows:
            print(
                f"{page:34} {smtp:8} {figures['rate']:9.1f} {figures['p50']:>9} "
                f"{figures['p99']:>9} {figures['bad']:8}"
            )
    print()
    for smtp, rows in report.items():
        pages = dict(rows)
        ratio = pages["/ (anonymous)"]["rate"] / pages["/bare/ (anonymous)"]["rate"]
        print(f"anonymous home page / bare view, {smtp} SMTP: {ratio:.2f} (aim: 0.5 or more)")
    healthy, hanging = dict(report["healthy"]), dict(report["hanging"])
    for page, figures in healthy.items():
        print(f"p99 {page:34} healthy {figures['p99']:>9}   hanging {hanging[page]['p99']:>9}")


if __name__ == "__main__":
    main()
