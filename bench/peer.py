"""`make bench`, the peer: Rassylka's engine against django-post_office, the library a
Django user would otherwise pick, side by side in one run, at 0 ms and 20 ms per reply.

Both send the same personalised messages (the subject and text+HTML body of
bench/sending.py, a List-Unsubscribe per recipient) to the same kind of aiosmtpd sink
(bench/sending.py's `Sink`, a new one per run), each in its own process on a fresh SQLite
database. post_office runs with its defaults (5 threads, each with its own connection,
batches of 100, a log row per email): `send_many` queues the messages (personalised
before queueing, as its users do), then `send_queued_mail` sends them. Its figure counts
both, as Rassylka's counts creating its rows, rendering and sending (`run_pass`);
the sending-only ratio is printed too. Rassylka runs with its defaults (SMTP_CONNECTIONS
10). The runs alternate BENCH_PEER_ROUNDS times (2) and the best of each counts.

Goal (issue 13): Rassylka ≥ 1.3× post_office at 0 ms. BENCH_PEER_FAST (5,000) messages
at 0 ms, BENCH_PEER_DISTANT (600) at 20 ms; BENCH_PEER_DELAYS picks the delays.
"""

import json
import os
import sys
import time
from pathlib import Path

from .sending import BODY, SUBJECT, Sink, _env, _run

FAST = int(os.environ.get("BENCH_PEER_FAST", 5_000))
DISTANT = int(os.environ.get("BENCH_PEER_DISTANT", 600))
ROUNDS = int(os.environ.get("BENCH_PEER_ROUNDS", 2))
DELAYS_MS = [int(ms) for ms in os.environ.get("BENCH_PEER_DELAYS", "0,20").split(",")]


def part_postoffice(count: str) -> None:
    """Queue `count` personalised emails with post_office and send them all."""
    import html

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from post_office import mail
    from post_office.mail import send_queued_mail_until_done
    from post_office.models import Email

    total = int(count)
    lockfile = str(Path(os.environ["VAR_DIR"]) / "post_office")
    connection.ensure_connection()
    started = time.perf_counter()
    cpu_started = time.process_time()
    queued = []
    for i in range(total):
        name, address = f"Клиент Номер {i}", f"client{i}@example.org"
        text = BODY.replace("{{ full_name }}", name).replace("{{ email }}", address)
        url = f"http://127.0.0.1:8000/unsubscribe/{i}/"
        queued.append(
            {
                "sender": "Rassylka <noreply@example.com>",
                "recipients": [address],
                "subject": SUBJECT.replace("{{ full_name }}", name),
                "message": f"{text}\n\n-- \n{url}",
                "html_message": "<p>"
                + html.escape(text).replace("\n", "<br>\n")
                + f'</p><a href="{url}">{url}</a>',
                "headers": {
                    "List-Unsubscribe": f"<{url}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            }
        )
        if len(queued) == 1000:
            mail.send_many(queued)
            queued = []
    mail.send_many(queued)
    queued_at = time.perf_counter()
    send_queued_mail_until_done(lockfile, processes=1)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "sending_seconds": time.perf_counter() - queued_at,
                "cpu_seconds": time.process_time() - cpu_started,
                "sent": Email.objects.filter(status=0).count(),  # STATUS.sent
            }
        )
    )


def _postoffice(count: int, sink: Sink, var_dir: Path) -> dict:
    var_dir.mkdir()
    env = _env(
        var_dir,
        DJANGO_SETTINGS_MODULE="bench.postoffice_settings",
        BENCH_SINK_PORT=sink.port,
    )
    return _run("postoffice", str(count), env=env, module="bench.peer")


def _rassylka(count: int, sink: Sink, var_dir: Path) -> dict:
    var_dir.mkdir()
    env = _env(var_dir, EMAIL_URL=f"smtp://127.0.0.1:{sink.port}", SMTP_TIMEOUT=30)
    _run("seed", str(count), env=env)
    result = _run("engine", env=env)
    # What the engine counts as its sending: everything after the seed.
    return {**result, "sending_seconds": result["seconds"]}


def main() -> None:
    import tempfile

    print(
        "Peer: Rassylka (defaults, SMTP_CONNECTIONS 10) against django-post_office (defaults: "
        "5 threads, batches of 100), same personalised messages, same sink, one worker each"
    )
    with tempfile.TemporaryDirectory(prefix="rassylka-bench-peer-") as tmp_name:
        tmp = Path(tmp_name)
        for delay_ms in DELAYS_MS:
            count = FAST if not delay_ms else DISTANT
            best: dict[str, dict] = {}
            for round_ in range(ROUNDS):
                for name, job in (("rassylka", _rassylka), ("post_office", _postoffice)):
                    sink = Sink(delay_ms)
                    try:
                        result = job(count, sink, tmp / f"{name}-{delay_ms}-{round_}")
                    finally:
                        accepted = sink.stop()
                    if result["sent"] != count or accepted != count:
                        raise SystemExit(
                            f"{name} at {delay_ms} ms: sent {result['sent']}, "
                            f"sink got {accepted} of {count}"
                        )
                    rate = count / result["seconds"]
                    if name not in best or rate > best[name]["rate"]:
                        best[name] = {
                            **result,
                            "rate": rate,
                            "sending_rate": count / result["sending_seconds"],
                            "cpu_per_message_ms": 1000 * result["cpu_seconds"] / count,
                        }
            ours, theirs = best["rassylka"], best["post_office"]
            print(f"  {delay_ms} ms per reply, {count:,} messages (best of {ROUNDS}):")
            for name, figures in best.items():
                print(
                    f"    {name:<12} {figures['rate']:>7,.0f} msg/s  "
                    f"(sending alone {figures['sending_rate']:,.0f} msg/s, "
                    f"{figures['cpu_per_message_ms']:.2f} ms CPU per message)"
                )
            aim = "  (aim: at least 1.3×)" if not delay_ms else ""
            print(
                f"    Rassylka / post_office: {ours['rate'] / theirs['rate']:.2f}×{aim}; "
                f"sending alone {ours['sending_rate'] / theirs['sending_rate']:.2f}×",
                flush=True,
            )


if __name__ == "__main__":
    part, *arguments = sys.argv[1:]
    {"postoffice": part_postoffice}[part](*arguments)
