"""While a sender is stuck on an SMTP server that does not answer, the site stays fast:
no page waits on the network, and the sender holds no database lock while it waits."""

import time

import pytest

from mailings.tests.factories import mailing_to, unsubscribe_token
from sending.models import Delivery

from .processes import django_env, manage, wait_for
from .smtpd import SmtpServer

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_pages_answer_fast_while_the_smtp_server_hangs(csrf_client, settings):
    server = SmtpServer().start()
    server.faults.data_delay = 60  # takes the message, then never confirms it
    settings.EMAIL_URL = server.url
    mailing = mailing_to(20)
    owner = mailing.owner
    sender = manage("send_mailing", str(mailing.pk), env=django_env(SMTP_TIMEOUT=30))
    try:
        wait_for(lambda: server.messages, timeout=20, what="the first message to hang")
        assert Delivery.objects.filter(status="sending").exists()
        csrf_client.force_login(owner)
        client = mailing.clients.order_by("pk").last()
        checks = {
            "home": lambda: csrf_client.get("/"),
            "health": lambda: csrf_client.get("/healthz"),
            "mailing list": lambda: csrf_client.get("/mailings/"),
            "mailing detail": lambda: csrf_client.get(f"/mailings/{mailing.pk}/"),
            "live progress": lambda: csrf_client.get(f"/mailings/{mailing.pk}/progress/"),
            "reports": lambda: csrf_client.get("/reports/"),
            "unsubscribe page": lambda: csrf_client.get(
                f"/unsubscribe/{unsubscribe_token(client.pk)}/"
            ),
            # Writes too: the sender holds no lock on the database while it waits.
            "unsubscribe": lambda: csrf_client.submit(
                f"/unsubscribe/{unsubscribe_token(client.pk)}/"
            ),
            "send now": lambda: csrf_client.submit(
                f"/mailings/{mailing.pk}/send/", form_url=f"/mailings/{mailing.pk}/"
            ),
        }
        for name, call in checks.items():
            response, elapsed = timed(call)
            assert response.status_code in (200, 302), name
            assert elapsed < 1.0, f"{name} took {elapsed:.2f} s"
        assert sender.poll() is None  # still stuck on the server all along
        progress = csrf_client.get(f"/mailings/{mailing.pk}/progress/").json()
        assert progress["attempt"]["status"] == "in_progress"
    finally:
        sender.kill()
        sender.wait(timeout=10)
        server.stop()
