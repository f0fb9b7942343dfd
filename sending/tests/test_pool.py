"""Many connections per worker (SPEC §6 "Sending at a distance") against the real aiosmtpd
server, healthy, far away, or limiting what a client may do. Whatever happens, every
client ends up in the server's received list exactly once, and no row is left in flight."""

import time

import pytest

from mailings.tests.factories import mailing_to
from sending.holds import hold_current
from sending.models import Attempt, Delivery, TransportHold
from sending.passes import run_pass

from .smtpd import SmtpServer
from .test_smtp_faults import finish_run, statuses

pytestmark = pytest.mark.django_db

RECIPIENTS = 40


@pytest.fixture(autouse=True)
def _pool(settings):
    settings.SMTP_CONNECTIONS = 10


def assert_everyone_once(server, count: int = RECIPIENTS):
    assert server.copies() == {f"reader{i}@example.org": 1 for i in range(count)}


def test_the_connections_work_at_once_on_a_distant_server(smtp_server):
    smtp_server.faults.reply_delay = 0.02
    mailing_to(RECIPIENTS)
    report = run_pass()
    assert report.sending.sent == RECIPIENTS
    assert Attempt.objects.get().status == Attempt.Status.SUCCESS
    assert_everyone_once(smtp_server)
    # Ten connections, each holding a message while the server thinks.
    assert smtp_server.handler.peak >= 5
    assert smtp_server.handler.connections <= 10


def test_one_connection_is_one_at_a_time(smtp_server, settings):
    settings.SMTP_CONNECTIONS = 1
    smtp_server.faults.reply_delay = 0.005
    mailing_to(12)
    run_pass()
    assert_everyone_once(smtp_server, 12)
    assert (smtp_server.handler.connections, smtp_server.handler.peak) == (1, 1)


def test_a_connection_broken_among_ten_costs_only_its_own_message(smtp_server):
    smtp_server.faults.reply_delay = 0.005
    smtp_server.faults.drop_mid_data = {"reader17@example.org"}
    mailing_to(RECIPIENTS)
    run_pass()
    # Past DATA nobody can tell whether the server kept it: unknown, never sent again.
    assert statuses() == {"sent": RECIPIENTS - 1, "unknown": 1}
    assert Delivery.objects.get(status=Delivery.Status.UNKNOWN).email == "reader17@example.org"
    assert Attempt.objects.get().status == Attempt.Status.FAILURE
    copies = smtp_server.copies()
    assert "reader17@example.org" not in copies  # the sink dropped it before the dot
    assert copies == {f"reader{i}@example.org": 1 for i in range(RECIPIENTS) if i != 17}
    assert hold_current() is None


def test_a_server_taking_only_three_connections_gets_everything_over_three(smtp_server):
    smtp_server.faults.reply_delay = 0.005
    smtp_server.faults.max_connections = 3
    mailing_to(RECIPIENTS)
    report = run_pass()
    assert report.sending.sent == RECIPIENTS
    assert not report.sending.stopped
    assert Attempt.objects.get().status == Attempt.Status.SUCCESS
    assert_everyone_once(smtp_server)
    assert smtp_server.handler.refused >= 1
    assert smtp_server.handler.peak == 3
    # The refused connections cost nobody a try.
    assert set(Delivery.objects.values_list("tries", flat=True)) == {1}
    assert hold_current() is None


def test_a_server_refusing_every_connection_with_421_pauses_then_gets_everything(smtp_server):
    smtp_server.faults.max_connections = 0
    mailing_to(RECIPIENTS)
    report = run_pass()
    assert report.sending.stopped == "connection"
    assert statuses() == {"pending": RECIPIENTS}
    assert set(Delivery.objects.values_list("tries", flat=True)) == {0}
    hold = hold_current()
    assert hold.reason == TransportHold.Reason.CONNECTION
    assert hold.server_response.startswith("421 4.7.0 Too many connections")
    # The pool grows only once a connection proved the server works: one connection's
    # failures opened the breaker, not ten at once.
    assert smtp_server.handler.refused == 3

    smtp_server.faults.heal()
    attempt = finish_run()
    assert attempt.status == Attempt.Status.SUCCESS
    assert_everyone_once(smtp_server)


@pytest.mark.slow
def test_connections_closed_by_the_server_while_idle_are_opened_again(settings):
    server = SmtpServer(timeout=0.3).start()  # aiosmtpd hangs up after 0.3 s of silence
    settings.EMAIL_URL = server.url
    settings.SMTP_CONNECTIONS = 3
    settings.SEND_WINDOW = 6
    mailing_to(18)
    windows = []

    def idle() -> None:
        windows.append(server.handler.connections)
        time.sleep(0.5)  # every connection of the pool sits idle past the server's patience

    try:
        report = run_pass(on_progress=idle)
    finally:
        server.stop()
    assert report.sending.sent == 18
    assert statuses() == {"sent": 18}
    # Nobody was charged a failed try for the server's hang-up.
    assert set(Delivery.objects.values_list("tries", flat=True)) == {1}
    assert_everyone_once(server, 18)
    assert len(windows) >= 3  # idle pauses between windows, each past the 0.3 s
    assert server.handler.connections > windows[0]  # the pool did reconnect


def test_a_stop_request_leaves_no_row_in_flight(smtp_server):
    smtp_server.faults.reply_delay = 0.01
    mailing_to(RECIPIENTS)

    def stop_after_the_first_window() -> bool:
        # Asked before each window is claimed (SIGTERM sets what the scheduler asks).
        return Delivery.objects.filter(status=Delivery.Status.SENT).exists()

    report = run_pass(should_stop=stop_after_the_first_window)
    counts = statuses()
    assert "sending" not in counts
    # The first window (two rows per connection) went out in full, nothing more.
    assert counts == {"sent": 20, "pending": RECIPIENTS - 20}
    assert report.sending.sent == 20
    assert len(smtp_server.copies()) == 20

    attempt = finish_run()
    assert attempt.status == Attempt.Status.SUCCESS
    assert_everyone_once(smtp_server)


@pytest.mark.slow  # paced by the rate: half a second
def test_send_rate_holds_for_the_whole_pool(smtp_server, settings):
    settings.SEND_RATE = 40
    mailing_to(21)
    started = time.monotonic()
    run_pass()
    elapsed = time.monotonic() - started
    # Twenty gaps of 25 ms at least, however many connections share them.
    assert elapsed >= 0.5
    assert_everyone_once(smtp_server, 21)


def test_a_pipelining_server_gets_everything_once_and_refusals_keep_their_meaning(smtp_server):
    smtp_server.faults.pipelining = True
    smtp_server.faults.reply_delay = 0.005
    smtp_server.faults.rcpt_replies = {
        "reader4@example.org": "550 5.1.1 User unknown",
        "reader9@example.org": "451 4.7.1 Greylisted",
    }
    smtp_server.faults.data_replies = {"reader13@example.org": "554 5.7.1 Spam"}
    mailing_to(RECIPIENTS)
    run_pass()
    assert statuses() == {"sent": RECIPIENTS - 3, "failed": 2, "pending": 1}
    assert Delivery.objects.get(status=Delivery.Status.PENDING).email == "reader9@example.org"
    # A refused envelope leaves the connection usable: no reconnection for it.
    assert smtp_server.handler.connections <= 10
    copies = smtp_server.copies()
    assert copies == {f"reader{i}@example.org": 1 for i in range(RECIPIENTS) if i not in (4, 9, 13)}

    smtp_server.faults.heal()
    attempt = finish_run()
    assert attempt.status == Attempt.Status.FAILURE
    assert (attempt.sent_count, attempt.failed_count) == (RECIPIENTS - 2, 2)


def test_a_pipelining_server_taking_data_after_refusing_the_recipient(smtp_server):
    """It answers 354 to the pipelined DATA of a message whose RCPT it refused: the
    client cannot go on with that connection, drops it and sends the rest on others."""
    smtp_server.faults.pipelining = True
    smtp_server.faults.data_without_recipients = True
    smtp_server.faults.rcpt_replies = {"reader5@example.org": "550 5.1.1 User unknown"}
    mailing_to(RECIPIENTS)
    run_pass()
    assert statuses() == {"sent": RECIPIENTS - 1, "failed": 1}
    assert Delivery.objects.get(status=Delivery.Status.FAILED).email == "reader5@example.org"
    expected = {f"reader{i}@example.org": 1 for i in range(RECIPIENTS) if i != 5}
    assert smtp_server.copies() == expected
    assert hold_current() is None


def test_an_unexpected_error_in_a_connection_thread_reaches_the_worker(smtp_server, monkeypatch):
    """A bug in the dialogue must not leave the sending thread waiting forever for an
    outcome: it is raised there, the others' outcomes are written, and the message it
    was carrying stays in flight (unknown once its lease is over)."""
    from transport.smtp import SmtpTransport

    send = SmtpTransport.send

    def send_or_crash(self, *, envelope_from, envelope_to, data):
        if envelope_to == "reader7@example.org":
            raise RuntimeError("a bug")
        return send(self, envelope_from=envelope_from, envelope_to=envelope_to, data=data)

    monkeypatch.setattr(SmtpTransport, "send", send_or_crash)
    mailing_to(RECIPIENTS)
    with pytest.raises(RuntimeError, match="a bug"):
        run_pass()
    counts = statuses()
    assert Delivery.objects.get(status=Delivery.Status.SENDING).email == "reader7@example.org"
    assert counts["sending"] == 1
    assert counts["sent"] == len(smtp_server.copies()) >= 1
    assert set(smtp_server.copies().values()) == {1}
