import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from sending import heartbeat

pytestmark = pytest.mark.django_db

TOKEN = "monitor-token-for-tests"


@pytest.fixture(autouse=True)
def _no_wait_before_the_broker_retry(monkeypatch):
    # kombu sleeps 2 s before its one retry of a broker that refused: not in a test.
    monkeypatch.setattr("kombu.utils.functional.sleep", lambda seconds: None)


@pytest.fixture
def client(settings):
    """A monitor holding HEALTHZ_TOKEN: it sees every detail."""
    settings.HEALTHZ_TOKEN = TOKEN
    return Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")


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


# What anyone else sees (issue 23: the broker's address and error text were public)


def _broker_down(settings):
    settings.CELERY_BROKER_URL = "redis://:br0ker-pa55@127.0.0.1:9/0"


def test_anyone_learns_only_ok_or_degraded_per_part(settings):
    _broker_down(settings)
    settings.HEALTHZ_TOKEN = TOKEN
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": {"ok": True},
        "cache": {"ok": True},
        "broker": {"ok": False},
        "scheduler": {"ok": False},
        "runs": {"ok": True},
    }
    assert b"127.0.0.1" not in response.content and b"pa55" not in response.content


def test_a_wrong_token_or_a_member_who_is_not_staff_learns_no_more(settings):
    from accounts.tests.factories import UserFactory

    _broker_down(settings)
    settings.HEALTHZ_TOKEN = TOKEN
    member = Client()
    member.force_login(UserFactory())
    for visitor in (Client(HTTP_AUTHORIZATION="Bearer wrong"), member):
        assert visitor.get("/healthz").json()["broker"] == {"ok": False}


def test_without_a_token_configured_an_empty_one_opens_nothing(settings):
    _broker_down(settings)
    settings.HEALTHZ_TOKEN = ""
    assert Client(HTTP_AUTHORIZATION="Bearer ").get("/healthz").json()["broker"] == {"ok": False}


def test_staff_see_the_details(settings):
    from accounts.tests.factories import UserFactory

    _broker_down(settings)
    staff = Client()
    staff.force_login(UserFactory(is_staff=True))
    body = staff.get("/healthz").json()
    assert body["broker"]["configured"] and "error" in body["broker"]
    assert body["database"]["vendor"]


def test_a_monitor_with_the_token_sees_the_details(client, settings):
    _broker_down(settings)
    body = client.get("/healthz").json()
    assert body["broker"]["configured"] and body["broker"]["error"]
    assert "pa55" not in body["broker"]["error"]


def test_the_database_down_staff_cookie_still_answers_503_without_details(monkeypatch):
    from accounts.tests.factories import UserFactory

    staff = Client()
    staff.force_login(UserFactory(is_staff=True))

    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError("could not connect to server")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = staff.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == {"ok": False}
