"""Load test of the tracked link and the open pixel against the bare view: gunicorn
(3 workers) + PostgreSQL + Redis cache, driven by wrk.

    .venv/bin/python -m loadtest.tracking [--seconds 10] [--connections 16] [--rounds 1]
        [--database rassylka_tracking] [--redis-db 3]

Four measurements besides the bare view: a click and an open that each write their hit
(every request comes with an agent of its own, so the replay guard never holds it back),
and the same replayed (one agent: the guard answers without writing). Prints requests/s,
p50 and p99, and each against the bare view (aim: 0.5 or more, p99 under 50 ms). With
--rounds N the pages take turns N times and each keeps its best round: on a shared
machine a neighbour's burst can halve one round.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import tempfile
from pathlib import Path

from e2e.stack import Stack

from .run import wrk

SEED = """
from django.utils import timezone
from accounts.models import User
from content.models import Message
from mailings.models import Mailing
from audience.models import Client
from sending.models import Attempt, Delivery
from content.links import Signer
from content.models import Link

user = User.objects.create_user(email="load@example.com", password="load-test-pass-2026")
client = Client.objects.create(owner=user, email="reader@example.com")
message = Message.objects.create(owner=user, subject="Hi", body="https://shop.example/")
mailing = Mailing.objects.create(owner=user, message=message, start_at=timezone.now())
attempt = Attempt.objects.create(mailing=mailing, started_at=timezone.now())
delivery = Delivery.objects.create(attempt=attempt, client=client, email=client.email)
link = Link.objects.create(attempt=attempt, url="https://shop.example/", url_hash="load")
signer = Signer(attempt_id=attempt.pk, mode="recipient")
print("TOKENS", signer.click_token(delivery.pk, link.pk), signer.open_token(delivery.pk))
"""

# Every request a new agent: two wrk threads, each counting on its own.
FRESH_AGENTS = """
local counter, thread_id = 0, 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function init(args)
  thread_id = id
end
function request()
  counter = counter + 1
  return wrk.format("GET", nil, {["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) load/"
    .. thread_id .. "/" .. counter})
end
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--database", default="rassylka_tracking")
    parser.add_argument("--redis-db", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="rassylka-load-tracking-"))
    script = workdir / "fresh_agents.lua"
    script.write_text(FRESH_AGENTS)
    stack = Stack(
        workdir,
        database=args.database,
        redis_db=args.redis_db,
        extra_env={
            "DJANGO_SETTINGS_MODULE": "loadtest.settings",
            "LOG_LEVEL": "WARNING",
            "CELERY_BROKER_URL": "",
        },
    )
    try:
        stack.prepare()
        click, pixel = stack.manage("shell", "-c", SEED).split()[-2:]
        stack.start_web(workers=3)
        pages = [
            ("/bare/", "/bare/", None),
            ("/l/ (a new hit each)", f"/l/{click}/", script),
            ("/o/ (a new hit each)", f"/o/{pixel}/", script),
            ("/l/ (replayed)", f"/l/{click}/", None),
            ("/o/ (replayed)", f"/o/{pixel}/", None),
        ]
        # Two seconds a page first, not counted: each worker's first database
        # connection and first hit of each view are not what is measured.
        # Every request with an agent of its own is a hit to keep: counted, to compare
        # with the rows written once the web processes have stopped.
        fresh_requests = 0
        for _name, path, lua in pages:
            warm = wrk(
                stack.url(path), seconds=2, connections=args.connections, cookie=None, script=lua
            )
            fresh_requests += warm["requests"] if lua else 0
        results: dict[str, dict] = {}
        for _round in range(args.rounds):
            for name, path, lua in pages:
                figures = wrk(
                    stack.url(path),
                    seconds=args.seconds,
                    connections=args.connections,
                    cookie=None,
                    script=lua,
                )
                fresh_requests += figures["requests"] if lua else 0
                if name not in results or figures["rate"] > results[name]["rate"]:
                    results[name] = figures
        # A clean stop: each worker writes the hits still waiting in it.
        stack.kill("web", signal.SIGTERM)
        hits = int(
            stack.manage(
                "shell",
                "--no-imports",
                "-c",
                "from tracking.models import Hit; print(Hit.objects.count())",
            )
        )
    finally:
        stack.stop()

    print(
        f"\nwrk: {args.connections} connections, {args.seconds} s per page, best of "
        f"{args.rounds} round(s), gunicorn 3 workers,"
    )
    print("PostgreSQL, Redis cache\n")
    print(f"{'page':24} {'req/s':>9} {'p50':>9} {'p99':>9} {'bad':>6} {'/ bare':>7}")
    bare = results["/bare/"]["rate"]
    for name, figures in results.items():
        print(
            f"{name:24} {figures['rate']:9.1f} {figures['p50']:>9} {figures['p99']:>9} "
            f"{figures['bad']:6} {figures['rate'] / bare:7.2f}"
        )
    print(
        f"\nhits written: {hits:,}; requests each bringing a new hit: {fresh_requests:,} "
        f"(the rest, {hits - fresh_requests:,}, come from the replayed pages: each web "
        "process keeps the same request again once its replay window is over); fewer rows "
        "than requests would be hits lost"
    )


if __name__ == "__main__":
    main()
