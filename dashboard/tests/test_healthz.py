import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from sending import heartbeat

pytestmark = pytest.mark.django_db


def test_it_reports_every_part(client):
    heartbeat.beat("test")
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["cache"]["ok"]
    assert body["broker"] == {"ok": True, "configured": False}
    assert body["scheduler"]["ok"] and body["scheduler"]["source"] == "test"


def test_a_silent_scheduler_is_degraded_but_not_down(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["scheduler"] == {"ok": False, "last_beat": None}


def test_a_stale_heartbeat_is_reported(client, time_machine):
    heartbeat.beat("test")
    time_machine.move_to(timezone.now() + timedelta(minutes=5))
    body = client.get("/healthz").json()
    assert not body["scheduler"]["ok"]
    assert body["scheduler"]["seconds_ago"] >= 300


def test_it_answers_503_when_the_database_is_down(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError("could not connect to server")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "could not connect" in json.loads(response.content)["database"]["error"]


def test_an_unreachable_broker_is_reported(client, settings):
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    body = client.get("/healthz").json()
    assert body["broker"]["configured"] and not body["broker"]["ok"]
    assert body["status"] == "degraded"


def test_a_session_cookie_does_not_turn_the_503_into_a_500(client, monkeypatch):
    """The time-zone middleware used to load the signed-in user for /healthz too."""
    from accounts.tests.factories import UserFactory

    client.force_login(UserFactory(time_zone="Asia/Vladivostok"))

    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError("could not connect to server")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["ok"] is False


def test_a_run_nobody_has_sent_for_a_minute_is_degraded(client, time_machine):
    from mailings.tests.factories import mailing_to
    from sending.passes import run_pass

    mailing_to(3)
    run_pass(enqueue=lambda attempt_id, ids: None)  # handed out, and lost by the broker
    heartbeat.beat("test")
    assert client.get("/healthz").json()["runs"] == {"ok": True, "stalled": []}
    time_machine.move_to(timezone.now() + timedelta(minutes=2))
    heartbeat.beat("test")
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["runs"]["ok"] is False
    assert len(body["runs"]["stalled"]) == 1


def test_a_run_that_keeps_sending_is_not_stalled(client, time_machine, settings, tmp_path):
    from mailings.tests.factories import mailing_to
    from sending.models import Delivery
    from sending.passes import run_pass

    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"
    mailing_to(3)
    run_pass(enqueue=lambda attempt_id, ids: None)
    time_machine.move_to(timezone.now() + timedelta(minutes=2))
    # A worker took one row a moment ago: the run is moving.
    Delivery.objects.filter(pk=Delivery.objects.first().pk).update(
        status="sending", claimed_at=timezone.now()
    )
    assert client.get("/healthz").json()["runs"] == {"ok": True, "stalled": []}
