import csv
import datetime as dt
import io
import re
import zoneinfo

import pytest

from accounts.tests.factories import UserFactory, manager
from mailings.tests.factories import AttemptFactory, MailingFactory
from sending.models import Attempt

pytestmark = pytest.mark.django_db

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")


def at(day: int, hour: int = 12) -> dt.datetime:
    """A moment in Moscow time, in June 2030."""
    return dt.datetime(2030, 6, day, hour, tzinfo=MOSCOW)


@pytest.fixture
def owner():
    return UserFactory(time_zone="Europe/Moscow")


@pytest.fixture
def history(owner):
    news, promo = MailingFactory(owner=owner), MailingFactory(owner=owner)
    attempts = [
        AttemptFactory(mailing=news, started_at=at(1), sent_count=10, failed_count=0),
        AttemptFactory(
            mailing=news, started_at=at(1, 18), status="failure", sent_count=4, failed_count=6
        ),
        AttemptFactory(mailing=promo, started_at=at(3), sent_count=7, failed_count=1),
        # 23:30 Moscow on the 4th is 20:30 UTC: it belongs to the 4th, not the 5th.
        AttemptFactory(
            mailing=promo,
            started_at=at(4, 23).replace(minute=30),
            status="failure",
            sent_count=0,
            failed_count=8,
            server_response="451 4.7.1 Try again later",
        ),
    ]
    AttemptFactory(started_at=at(2), sent_count=100)  # another user's
    return {"news": news, "promo": promo, "attempts": attempts}


def totals_of(attempts) -> dict:
    return {
        "runs": len(attempts),
        "successful": sum(a.status == "success" for a in attempts),
        "failed": sum(a.status == "failure" for a in attempts),
        "messages_sent": sum(a.sent_count for a in attempts),
        "messages_failed": sum(a.failed_count for a in attempts),
        "messages_unknown": sum(a.unknown_count for a in attempts),
        "hard_bounces": sum(a.hard_bounce_count for a in attempts),
        "soft_bounces": sum(a.soft_bounce_count for a in attempts),
        "complaints": sum(a.complaint_count for a in attempts),
    }


def test_it_lists_only_the_users_attempts_with_matching_totals(signed_in, history):
    response = signed_in.get("/reports/")
    assert response.status_code == 200
    listed = list(response.context["attempts"])
    assert set(listed) == set(history["attempts"])
    assert response.context["totals"] == totals_of(listed)
    assert response.context["totals"] == {
        "runs": 4,
        "successful": 2,
        "failed": 2,
        "messages_sent": 21,
        "messages_failed": 15,
        "messages_unknown": 0,
        "hard_bounces": 0,
        "soft_bounces": 0,
        "complaints": 0,
    }
    body = response.content.decode()
    assert 'data-total="messages_sent">21<' in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"date_from": "2030-06-03"}, [2, 3]),
        ({"date_to": "2030-06-01"}, [0, 1]),
        ({"date_from": "2030-06-04", "date_to": "2030-06-04"}, [3]),
        ({"status": "failure"}, [1, 3]),
        ({"mailing": "promo", "status": "success"}, [2]),
    ],
)
def test_filters_narrow_the_table_and_the_totals_alike(signed_in, history, query, expected):
    if "mailing" in query:
        query = {**query, "mailing": history[query["mailing"]].pk}
    response = signed_in.get("/reports/", query)
    wanted = [history["attempts"][i] for i in expected]
    assert set(response.context["attempts"]) == set(wanted)
    assert response.context["totals"] == totals_of(wanted)


def test_another_users_mailing_is_not_a_valid_filter(signed_in, history):
    foreign = MailingFactory()
    response = signed_in.get("/reports/", {"mailing": foreign.pk})
    assert "mailing" in response.context["filter_form"].errors
    assert set(response.context["attempts"]) == set(history["attempts"])


def test_the_chart_draws_messages_per_local_day(signed_in, history):
    response = signed_in.get("/reports/")
    charts = response.context["charts"]
    bars = {bar.day: tuple(s.value for s in bar.segments) for bar in charts.messages.bars}
    assert bars == {
        dt.date(2030, 6, 1): (14, 6),
        dt.date(2030, 6, 2): (0, 0),
        dt.date(2030, 6, 3): (7, 1),
        dt.date(2030, 6, 4): (0, 8),
    }
    svg = re.search(r"<svg[^>]*id=\"report-chart\".*?</svg>", response.content.decode(), re.S)
    assert svg and 'data-day="2030-06-01" data-sent="14" data-failed="6"' in svg.group(0)
    # Coordinates are plain numbers even where the language writes decimals with a comma.
    assert not re.search(r'(x|y|width|height)="\d+,\d', svg.group(0))
    # Nothing came back from these runs: no flat chart of bounces.
    assert charts.feedback is None
    assert 'id="report-feedback-chart"' not in response.content.decode()


def test_csv_export_follows_the_filters(signed_in, history):
    response = signed_in.get("/reports/export/", {"status": "failure"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["started_at"] for row in rows] == ["2030-06-04 23:30:00", "2030-06-01 18:00:00"]
    assert rows[0]["server_response"] == "451 4.7.1 Try again later"
    assert sum(int(row["failed"]) for row in rows) == 14


def test_a_manager_sees_everyones_attempts_with_the_owner(client, history, owner):
    client.force_login(manager())
    response = client.get("/reports/")
    assert response.context["totals"]["runs"] == 5
    assert response.context["totals"] == totals_of(list(Attempt.objects.all()))
    assert owner.email in response.content.decode()


def test_reports_are_paginated(signed_in, owner):
    mailing = MailingFactory(owner=owner)
    AttemptFactory.create_batch(60, mailing=mailing)
    response = signed_in.get("/reports/")
    assert len(response.context["attempts"]) == 50
    assert response.context["totals"]["runs"] == 60


def test_a_run_under_way_is_counted_from_its_ledger_on_the_reports_page(client):
    """Not «in progress, 0 sent» while the mailing's own page already counts 2."""
    from django.utils import timezone

    from mailings.models import Mailing
    from mailings.tests.factories import mailing_to
    from sending.claims import run_claim
    from sending.models import Delivery

    mailing = mailing_to(3)
    attempt = run_claim(mailing=Mailing.objects.get(pk=mailing.pk), now=timezone.now())
    rows = list(Delivery.objects.filter(attempt=attempt).values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=rows[:2]).update(status="sent")
    client.force_login(mailing.owner)
    page = client.get("/reports/").content.decode()
    assert 'data-run-state="sending"' in page
    assert '<td class="text-end" data-count="sent">2</td>' in page
