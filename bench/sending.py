"""`make bench`, sending part: how fast one worker sends, against the practical ceiling.

From one run it prints:
* messages per second for a mailing to 10,000 clients, sent by the real dispatcher
  (`run_pass`: claim, Delivery rows, rendering, SMTP, bookkeeping) on one worker into a
  local aiosmtpd sink that counts and discards;
* the same for a bare loop that builds each personalised text+HTML message with the
  standard library (`email.message.EmailMessage`) and sends it over one reused smtplib
  connection to the same sink: the practical ceiling, since building a message, not
  SMTP, is what costs CPU here;
* the ratio, SQL queries per message, and the peak memory of the sending process for
  10,000 and for 100,000 clients;
* the same 10,000-client run as a sender on a verified domain, every message DKIM-signed
  (RSA 2048), against the unsigned run (aim: signed at least 75% of unsigned). Signed and
  unsigned runs alternate BENCH_SIGNED_ROUNDS times (2) and the best of each counts: on a
  shared machine one run alone can be slowed by a neighbour by half;
* the same 10,000-client run with the body written in Markdown (heading, list, link,
  image, button: sanitised HTML and a derived text part) inside the owner's brand (logo,
  accent colour, footer; CSS inlined), against the plain-text run
  (aim: rich at least 80% of plain), best of the same alternating rounds.

Every part runs in its own process (fresh SQLite database in a temporary VAR_DIR, the
sink in another process), so the figures are not polluted by each other. SEND_RATE is
switched off for the measurement.
"""

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMALL = int(os.environ.get("BENCH_SMALL", 10_000))
LARGE = int(os.environ.get("BENCH_LARGE", 100_000))
SIGNED_ROUNDS = int(os.environ.get("BENCH_SIGNED_ROUNDS", 2))
SUBJECT = "Новости для {{ full_name }}"
BODY = (
    "Здравствуйте, {{ full_name }}!\n\n"
    "Мы открыли осенний сезон: новые курсы, скидки до 30% для постоянных клиентов и\n"
    "бесплатная доставка по всей России до конца месяца.\n\n"
    "Подробности и расписание: https://example.com/autumn\n"
    "Письмо отправлено на адрес {{ email }}.\n\n"
    "С уважением,\nкоманда Acme"
)
RICH_BODY = (
    "# Здравствуйте, {{ full_name }}!\n\n"
    "Мы открыли **осенний сезон**:\n\n"
    "- новые курсы;\n- скидки до 30% для постоянных клиентов;\n"
    "- бесплатная доставка по всей России до конца месяца.\n\n"
    "![Осень](https://example.com/autumn.png)\n\n"
    "[Расписание](https://example.com/autumn){.button}\n\n"
    "Письмо отправлено на адрес {{ email }}.\n\n"
    "С уважением,  \nкоманда Acme"
)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(var_dir: Path, **extra) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ENV_FILE": os.devnull,
        "DEBUG": "false",  # DEBUG keeps every query in memory
        "SECRET_KEY": "bench-only-not-secret",
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'bench.sqlite3'}",
        "LOG_LEVEL": "WARNING",
        "SEND_RATE": "0",
        "PYTHONUNBUFFERED": "1",
        **{key: str(value) for key, value in extra.items()},
    }


def _run(*args: str, env: dict, module: str = "bench.sending") -> dict:
    """Run one part in its own process; it prints its figures as JSON on the last line."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench part {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class Sink:
    """An aiosmtpd server in its own process that counts messages and keeps none, and
    delays every reply by `delay_ms` when it plays a relay far away."""

    def __init__(self, delay_ms: float = 0, *, pipelining: bool = False):
        self.port = _free_port()
        args = [str(self.port), str(delay_ms), *(["pipelining"] if pipelining else [])]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.sending", "sink", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def stop(self) -> int:
        """Stop it; returns how many messages it accepted."""
        self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=30)
        return int(out.strip().splitlines()[-1])


# The parts, each run as `python -m bench.sending <part> ...`


def part_sink(port: str, delay_ms: str = "0", pipelining: str = "") -> None:
    import asyncio

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    delay = float(delay_ms) / 1000

    class Distant(SMTP):
        """Each reply arrives `delay` later while the server reads on, as over a long
        line (the test server's reply_delay); with PIPELINING offered, when asked."""

        last_due = 0.0

        async def push(self, status):
            if not delay:
                await super().push(status)
                return
            self.last_due = max(self.loop.time() + delay, self.last_due + 1e-6)
            self.loop.call_at(self.last_due, self._writer.write, f"{status}\r\n".encode())

    class DistantController(Controller):
        def factory(self):
            return Distant(self.handler, **self.SMTP_kwargs)

    class Count:
        accepted = 0

        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            session.host_name = hostname
            if pipelining:
                responses.insert(-1, "250-PIPELINING")
            return responses

        async def handle_DATA(self, server, session, envelope):
            self.accepted += len(envelope.rcpt_tos)
            return "250 2.0.0 Ok"

    handler = Count()
    controller = DistantController(handler, hostname="127.0.0.1", port=int(port))
    controller.start()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    loop.run_until_complete(stop.wait())
    controller.stop()
    print(handler.accepted, flush=True)


def part_seed(clients: str, variant: str = "") -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts.models import User
    from audience.models import Client
    from mailings.lifecycle import mailing_schedule
    from mailings.models import Mailing, Message

    owner = User.objects.create_user(email="bench@example.com", password="x")
    count = int(clients)
    for start in range(0, count, 5000):
        Client.objects.bulk_create(
            Client(owner=owner, email=f"client{i}@example.org", full_name=f"Клиент Номер {i}")
            for i in range(start, min(start + 5000, count))
        )
    rich = variant == "rich"
    if rich:
        from senders.models import Brand

        Brand.objects.create(
            owner=owner,
            logo_url="https://example.com/logo.png",
            accent_color="#aa3300",
            footer_text="ООО «Акме», Москва",
        )
    message = Message.objects.create(
        owner=owner,
        subject=SUBJECT,
        body=RICH_BODY if rich else BODY,
        format="markdown" if rich else "plain",
    )
    from django.utils import timezone

    mailing = Mailing.objects.create(
        owner=owner, message=message, start_at=timezone.now(), periodicity="once"
    )
    through = Mailing.clients.through
    ids = Client.objects.filter(owner=owner).values_list("pk", flat=True).iterator()
    batch = []
    for client_id in ids:
        batch.append(through(mailing_id=mailing.pk, client_id=client_id))
        if len(batch) == 5000:
            through.objects.bulk_create(batch)
            batch = []
    through.objects.bulk_create(batch)
    if variant == "signed":
        from senders.models import Sender
        from senders.services import domain_add, domain_trust

        domain, _created = domain_add(owner=owner, domain="acme.example")
        domain_trust(domain=domain)
        mailing.sender = Sender.objects.create(
            owner=owner, name="Acme", email="news@acme.example", is_default=True
        )
        mailing.save(update_fields=["sender"])
    mailing_schedule(mailing=mailing)
    print(json.dumps({"mailing": mailing.pk}))


def part_engine(recipients: str = "") -> None:
    """One run_pass; with `recipients`, the seeded mailing is cut down to that many."""
    import django

    django.setup()
    from django.db import connection

    from mailings.models import Mailing
    from sending.models import Attempt
    from sending.passes import run_pass

    if recipients:
        through = Mailing.clients.through.objects
        keep = through.order_by("pk").values_list("pk", flat=True)[int(recipients) - 1]
        through.filter(pk__gt=keep).delete()

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    connection.ensure_connection()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with connection.execute_wrapper(count):
        started = time.perf_counter()
        cpu_started = time.process_time()
        run_pass()
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
    attempt = Attempt.objects.get()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "status": attempt.status,
                "sent": attempt.sent_count,
                "total": attempt.total_count,
                "queries": queries,
                "rss_before_kb": rss_before,
                "rss_peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
    )


def part_baseline(port: str, count: str) -> None:
    """The ceiling: the standard library building and sending, nothing else."""
    import html
    import smtplib
    from email.message import EmailMessage
    from email.utils import formatdate

    total = int(count)
    smtp = smtplib.SMTP("127.0.0.1", int(port), timeout=30)
    started = time.perf_counter()
    for i in range(total):
        name, address = f"Клиент Номер {i}", f"client{i}@example.org"
        subject = SUBJECT.replace("{{ full_name }}", name)
        text = BODY.replace("{{ full_name }}", name).replace("{{ email }}", address)
        url = f"http://127.0.0.1:8000/unsubscribe/{i}/"
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = "Rassylka <noreply@example.com>"
        message["To"] = address
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = f"<{i}.1@example.com>"
        message["List-Unsubscribe"] = f"<{url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(f"{text}\n\n-- \n{url}")
        message.add_alternative(
            "<p>" + html.escape(text).replace("\n", "<br>\n") + f'</p><a href="{url}">x</a>',
            subtype="html",
        )
        smtp.send_message(message)
    seconds = time.perf_counter() - started
    smtp.quit()
    print(json.dumps({"seconds": seconds, "sent": total}))


def _engine(clients: int, port: int, var_dir: Path, *, variant: str = "") -> dict:
    var_dir.mkdir()
    env = _env(var_dir, EMAIL_URL=f"smtp://127.0.0.1:{port}")
    _run("seed", str(clients), *([variant] if variant else []), env=env)
    return _run("engine", env=env)


def main() -> None:
    print("Sending benchmark: one worker, SEND_RATE off, a local aiosmtpd sink in its own process")
    results = {}
    with tempfile.TemporaryDirectory(prefix="rassylka-bench-") as tmp_name:
        tmp = Path(tmp_name)
        jobs = [
            ("engine", lambda port: _engine(SMALL, port, tmp / "small")),
            ("signed", lambda port: _engine(SMALL, port, tmp / "signed", variant="signed")),
            ("rich", lambda port: _engine(SMALL, port, tmp / "rich", variant="rich")),
            ("ceiling", lambda port: _run("baseline", str(port), str(SMALL), env=_env(tmp))),
            ("large", lambda port: _engine(LARGE, port, tmp / "large")),
        ]
        for round_ in range(2, SIGNED_ROUNDS + 1):
            jobs += [
                (f"engine{round_}", lambda port, r=round_: _engine(SMALL, port, tmp / f"u{r}")),
                (
                    f"signed{round_}",
                    lambda port, r=round_: _engine(SMALL, port, tmp / f"s{r}", variant="signed"),
                ),
                (
                    f"rich{round_}",
                    lambda port, r=round_: _engine(SMALL, port, tmp / f"r{r}", variant="rich"),
                ),
            ]
        for name, job in jobs:
            sink = Sink()
            try:
                result = job(sink.port)
            finally:
                accepted = sink.stop()
            results[name] = {**result, "sink": accepted}

    engine, ceiling, large = results["engine"], results["ceiling"], results["large"]
    for name, result in results.items():
        if name == "ceiling":
            continue
        clients = LARGE if name == "large" else SMALL
        if result["sent"] != clients or result["sink"] != clients:
            raise SystemExit(
                f"{name}: sent {result['sent']}, sink got {result['sink']} of {clients}"
            )
    engine_rate = engine["sent"] / engine["seconds"]
    ceiling_rate = ceiling["sent"] / ceiling["seconds"]
    large_rate = large["sent"] / large["seconds"]

    def best(prefix: str, clock: str = "seconds") -> float:
        return max(r["sent"] / r[clock] for n, r in results.items() if n.startswith(prefix))

    signed_rate, unsigned_rate = best("signed"), best("engine")
    # Messages per CPU-second of the sending process: what one worker with a core of its
    # own would do, and far less at the mercy of neighbours than the wall clock.
    signed_cpu_rate, unsigned_cpu_rate = (
        best("signed", "cpu_seconds"),
        best("engine", "cpu_seconds"),
    )
    rich_rate = best("rich")

    def mb(kb: int) -> str:
        return f"{kb / 1024:,.0f} MB"

    rows = [
        (
            f"engine, {SMALL:,} clients (run_pass)",
            f"{engine_rate:,.0f} msg/s  ({engine['seconds']:.1f} s, sink got {engine['sink']:,})",
        ),
        (
            "bare stdlib loop (ceiling)",
            f"{ceiling_rate:,.0f} msg/s  "
            f"({ceiling['seconds']:.1f} s, sink got {ceiling['sink']:,})",
        ),
        ("engine / ceiling", f"{engine_rate / ceiling_rate:.0%}  (aim: at least 70%)"),
        (
            "SQL queries per message",
            f"{engine['queries'] / engine['sent']:.2f}  "
            f"({engine['queries']:,} for {engine['sent']:,})",
        ),
        (
            f"peak memory, {SMALL:,} clients",
            f"{mb(engine['rss_peak_kb'])} RSS "
            f"(+{mb(engine['rss_peak_kb'] - engine['rss_before_kb'])} during the run)",
        ),
        (
            f"peak memory, {LARGE:,} clients",
            f"{mb(large['rss_peak_kb'])} RSS "
            f"(+{mb(large['rss_peak_kb'] - large['rss_before_kb'])} during the run), "
            f"{large_rate:,.0f} msg/s",
        ),
        (
            f"engine, {SMALL:,} clients, DKIM-signed",
            f"{signed_rate:,.0f} msg/s against {unsigned_rate:,.0f} unsigned "
            f"(best of {SIGNED_ROUNDS} alternating runs each)",
        ),
        ("signed / unsigned", f"{signed_rate / unsigned_rate:.0%}  (aim: at least 75%)"),
        (
            "signed / unsigned, CPU time",
            f"{signed_cpu_rate / unsigned_cpu_rate:.0%}  ({signed_cpu_rate:,.0f} against "
            f"{unsigned_cpu_rate:,.0f} msg per CPU-second of the sender)",
        ),
        (
            f"engine, {SMALL:,} clients, Markdown body + brand",
            f"{rich_rate:,.0f} msg/s against {unsigned_rate:,.0f} plain text "
            f"(best of {SIGNED_ROUNDS} alternating runs each)",
        ),
        ("rich / plain", f"{rich_rate / unsigned_rate:.0%}  (aim: at least 80%)"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}} : {value}")


if __name__ == "__main__":
    part, *arguments = sys.argv[1:]
    {
        "sink": part_sink,
        "seed": part_seed,
        "engine": part_engine,
        "baseline": part_baseline,
    }[part](*arguments)
