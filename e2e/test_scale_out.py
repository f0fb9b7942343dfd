"""Scale-out mode as separate processes on the real services: gunicorn, two Celery
workers and beat, PostgreSQL, Redis (cache and broker) or RabbitMQ (broker), and a real
SMTP server. A mailing made through the web reaches every client exactly once, even
when a worker is SIGKILLed mid-run.
"""

import re
import time
import zoneinfo
from collections import Counter
from datetime import datetime
from urllib.parse import urlsplit

import psycopg
import pytest

from conftest import require_tcp
from e2e.stack import POSTGRES_ADMIN_URL, RABBITMQ_URL, Stack
from sending.tests.processes import wait_for

pytestmark = [pytest.mark.services, pytest.mark.slow]

PASSWORD = "scale-out-pass-2026"
CLIENTS = 2000


def sql(stack: Stack, query: str, *params):
    with psycopg.connect(f"{POSTGRES_ADMIN_URL}/{stack.database}") as conn:
        return conn.execute(query, params).fetchall()


def create_mailing_through_the_web(stack: Stack, email: str, clients: int) -> int:
    """Sign up, import clients from CSV, write a message and a mailing starting now."""
    web = stack.browser_session()
    web.sign_up_and_log_in(email, PASSWORD)
    csv = "email,full_name,comment\n" + "".join(
        f"c{n}@clients.test,Клиент {n},\n" for n in range(clients)
    )
    response = web.submit(
        "/clients/import/",
        {},
        files={"file": ("clients.csv", csv.encode(), "text/csv")},
    )
    assert response.status_code == 200, response.text[:500]
    # The mapping step: the columns as it proposes them from their names.
    mapping = urlsplit(response.url).path
    assert re.fullmatch(r"/clients/import/\d+/columns/", mapping), response.url
    response = web.submit(
        mapping, {"column_0": "email", "column_1": "full_name", "column_2": "comment"}
    )
    assert response.status_code == 200, response.text[:500]
    (user_id,) = sql(stack, "SELECT id FROM accounts_user WHERE email = %s", email)[0]
    # A worker imports the file after the request.
    wait_for(
        lambda: (
            sql(stack, "SELECT count(*) FROM mailings_client WHERE owner_id = %s", user_id)[0][0]
            == clients
        ),
        timeout=60,
        interval=0.5,
        what="the import done by a worker",
    )

    response = web.submit(
        "/messages/new/",
        {"subject": "Новости для {{ full_name }}", "body": "Здравствуйте, {{ full_name }}!"},
    )
    assert response.status_code == 200 and "/messages/" in response.url
    (message_id,) = sql(stack, "SELECT id FROM mailings_message WHERE owner_id = %s", user_id)[0]

    now = datetime.now(zoneinfo.ZoneInfo("Europe/Moscow"))
    response = web.submit(
        "/mailings/new/",
        {
            "message": str(message_id),
            "start_at": now.strftime("%Y-%m-%dT%H:%M"),
            "periodicity": "once",
            "all_subscribed": "on",
        },
    )
    assert response.status_code == 200, response.text[:500]
    (mailing_id,) = sql(stack, "SELECT id FROM mailings_mailing WHERE owner_id = %s", user_id)[0]
    return mailing_id


def delivery_statuses(stack: Stack, mailing_id: int) -> Counter:
    rows = sql(
        stack,
        "SELECT d.status, count(*) FROM mailings_delivery d JOIN mailings_attempt a "
        "ON a.id = d.attempt_id WHERE a.mailing_id = %s GROUP BY d.status",
        mailing_id,
    )
    return Counter(dict(rows))


def assert_exactly_once(stack: Stack, mailing_id: int, clients: int) -> Counter:
    received = Counter(stack.recipients())
    doubled = [address for address, copies in received.items() if copies > 1]
    assert doubled == []
    statuses = delivery_statuses(stack, mailing_id)
    unknown = {
        row[0]
        for row in sql(
            stack,
            "SELECT d.email FROM mailings_delivery d JOIN mailings_attempt a "
            "ON a.id = d.attempt_id WHERE a.mailing_id = %s AND d.status = 'unknown'",
            mailing_id,
        )
    }
    everyone = {f"c{n}@clients.test" for n in range(clients)}
    # Nobody lost: each client got the message, or is recorded as in flight at the kill.
    assert everyone - set(received) <= unknown
    assert set(statuses) <= {"sent", "unknown"}
    assert sum(statuses.values()) == clients
    return statuses


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_a_mailing_made_on_the_web_reaches_everyone_once_despite_a_killed_worker(tmp_path, broker):
    if broker == "rabbitmq":
        require_tcp(RABBITMQ_URL.replace("amqp://guest:guest@", "amqp://"), "RabbitMQ")
    stack = Stack(tmp_path, broker=broker, extra_env={"SEND_RATE": "150", "SEND_LEASE": "30"})
    try:
        stack.prepare()
        stack.start_sink()
        stack.start_web(workers=2)
        stack.start_worker("worker1")
        stack.start_worker("worker2")
        stack.start_beat()

        health = wait_for(
            lambda: (h := stack.health())["status"] == "ok" and h,
            timeout=60,
            interval=0.5,
            what="/healthz to report every part ok",
        )
        assert health["database"]["vendor"] == "postgresql"
        assert health["broker"] == {"ok": True, "configured": True}
        assert health["scheduler"]["source"] == "celery"

        mailing_id = create_mailing_through_the_web(stack, "owner@company.test", CLIENTS)
        # Kill one worker while the run is well under way.
        wait_for(
            lambda: stack.received_count() >= CLIENTS // 4,
            timeout=120,
            interval=0.5,
            what="a quarter sent",
        )
        stack.kill("worker1")
        # The lease on rows the dead worker held must pass before they count as unknown.
        wait_for(
            lambda: (
                sum(delivery_statuses(stack, mailing_id).values()) == CLIENTS
                and not {"pending", "sending"} & set(delivery_statuses(stack, mailing_id))
            ),
            timeout=600,
            interval=2,
            what="every delivery to end sent or unknown",
        )
        statuses = assert_exactly_once(stack, mailing_id, CLIENTS)
        print(f"\n[{broker}] deliveries after killing a worker mid-run: {dict(statuses)}")
        assert statuses["sent"] >= CLIENTS - 2 * 200  # at most the killed worker's batches
        status = sql(stack, "SELECT status FROM mailings_mailing WHERE id = %s", mailing_id)
        assert status[0][0] == "completed"
    except BaseException:
        for name in ("web", "worker1", "worker2", "beat"):
            print(f"--- {name} log (tail) ---\n{stack.log(name)[-3000:]}")
        raise
    finally:
        stack.stop()


def measure_rate(workdir, *, workers: int, send_rate: int, delay: float = 0.0) -> float:
    """Messages per second into the sink (answering after `delay` seconds) once a
    web-made run to CLIENTS is under way."""
    stack = Stack(workdir, extra_env={"SEND_RATE": str(send_rate)})
    try:
        stack.prepare()
        stack.start_sink(delay=delay)
        stack.start_web(workers=1)
        for n in range(workers):
            stack.start_worker(f"worker{n + 1}")
        stack.start_beat()
        mailing_id = create_mailing_through_the_web(stack, "rate@company.test", CLIENTS)
        wait_for(
            lambda: stack.received_count() >= 100, timeout=120, interval=0.5, what="the first 100"
        )
        started, first = time.monotonic(), stack.received_count()
        # The sink also holds the sign-up confirmation: everyone is in once the clients'
        # messages alone number CLIENTS.
        others = sum(not r.endswith("@clients.test") for r in stack.recipients())
        wait_for(
            lambda: stack.received_count() >= CLIENTS + others,
            timeout=600,
            interval=0.1,
            what="everyone",
        )
        rate = (stack.received_count() - first) / (time.monotonic() - started)
        assert_exactly_once(stack, mailing_id, CLIENTS)
        return rate
    finally:
        stack.stop()


def test_workers_keep_one_send_rate_together_and_add_capacity_without_it(tmp_path):
    """SEND_RATE is the provider's limit for the whole service: one worker or two, the
    sink sees it kept (the workers book their slots in Redis). With no limit and a relay
    20 ms away (each reply waits), a worker is bound by its connections, not by the two
    cores it shares with the SMTP server and PostgreSQL: a second worker must add."""
    capped = {w: measure_rate(tmp_path / f"c{w}", workers=w, send_rate=150) for w in (1, 2)}
    free = {
        w: measure_rate(tmp_path / f"f{w}", workers=w, send_rate=100000, delay=0.02) for w in (1, 2)
    }
    print(
        f"\nSEND_RATE=150 for all workers: 1 worker {capped[1]:.0f} msg/s, "
        f"2 workers {capped[2]:.0f} msg/s"
        f"\nno rate limit, replies after 20 ms: 1 worker {free[1]:.0f} msg/s, "
        f"2 workers {free[2]:.0f} msg/s, ratio {free[2] / free[1]:.2f}"
    )
    for workers in (1, 2):
        assert 0.8 * 150 <= capped[workers] <= 1.15 * 150
    assert free[2] > 1.5 * free[1]
