"""The counts move as the run goes: a real sender in another process hands messages to
a real (slow) SMTP server while the page's feed is read, and the feed never lags behind
the server by more than the messages in flight."""

import pytest

from mailings.tests.factories import mailing_to
from sending.tests.processes import django_env, manage
from sending.tests.smtpd import SmtpServer

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RECIPIENTS = 60
# Outcomes are written a window at a time (SEND_WINDOW, at least two rows per connection).
CONNECTIONS, WINDOW = 5, 10


def test_the_feed_counts_what_the_server_took_while_the_run_goes_on(client, settings):
    server = SmtpServer().start()
    server.faults.reply_delay = 0.02  # a server a little far away: the run takes seconds
    settings.EMAIL_URL = server.url
    mailing = mailing_to(RECIPIENTS)
    client.force_login(mailing.owner)
    sender = manage(
        "send_mailing",
        str(mailing.pk),
        env=django_env(SMTP_CONNECTIONS=CONNECTIONS, SEND_WINDOW=WINDOW, SMTP_TIMEOUT=10),
    )
    seen = []
    try:
        while sender.poll() is None:
            taken = len(server.messages)  # before the feed is read: the feed may be ahead
            feed = client.get(f"/mailings/{mailing.pk}/progress/").json()
            run = feed["attempt"]
            if run is None or run["status"] != "in_progress":
                continue
            assert feed["state"] == run["state"] == "sending"
            assert run["sent"] + run["failed"] + run["unknown"] + run["pending"] == RECIPIENTS
            # What the server took is in the ledger, bar the rows in flight: the window
            # being sent and the one waiting to be written.
            assert run["sent"] >= taken - 2 * WINDOW
            seen.append(run["sent"])
        assert sender.wait(timeout=60) == 0
    finally:
        if sender.poll() is None:
            sender.kill()
        server.stop()
    assert seen == sorted(seen)  # never backwards
    assert any(0 < sent < RECIPIENTS for sent in seen)  # watched while it moved
    feed = client.get(f"/mailings/{mailing.pk}/progress/").json()
    assert (feed["state"], feed["attempt"]["sent"]) == ("finished", RECIPIENTS)
