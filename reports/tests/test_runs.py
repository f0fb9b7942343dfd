"""The page of one run: every recipient with status, reply and time; filterable by
status, searchable, paginated, exportable as CSV; reachable from the mailing and the
reports; another user's run is 404, managers may read."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory, manager
from mailings.tests.factories import AttemptFactory, DeliveryFactory, MailingFactory
from sending.models import Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def run():
    attempt = AttemptFactory(status="failure", sent_count=2, failed_count=1)
    sent_at = timezone.now() - dt.timedelta(minutes=5)
    for name, email in [("Анна Иванова", "anna@example.org"), ("Борис", "boris@example.org")]:
        DeliveryFactory(
            attempt=attempt,
            client__email=email,
            client__full_name=name,
            sent_at=sent_at,
            server_response="250 2.0.0 Ok: queued as 4F2A1",
        )
    DeliveryFactory(
        attempt=attempt,
        client__email="=cmd@example.org",
        client__full_name="Вера",
        status=Delivery.Status.FAILED,
        server_response="550 5.1.1 <=cmd@example.org>: Recipient address rejected",
        tries=1,
    )
    return attempt


def url(attempt, suffix: str = "") -> str:
    return f"/mailings/{attempt.mailing_id}/runs/{attempt.pk}/{suffix}"


def emails(response) -> list[str]:
    return [delivery.email for delivery in response.context["deliveries"]]


def test_it_lists_every_recipient_with_status_reply_and_time(client, run):
    client.force_login(run.mailing.owner)
    response = client.get(url(run))
    page = response.content.decode()
    assert response.status_code == 200
    assert emails(response) == ["anna@example.org", "boris@example.org", "=cmd@example.org"]
    assert "550 5.1.1" in page and "Recipient address rejected" in page
    assert "Анна Иванова" in page
    assert page.count('data-delivery-status="failed"') == 1
    assert timezone.localtime(run.deliveries.first().sent_at).strftime("%H:%M") in page


def test_it_filters_by_status_and_searches_by_email_or_name(client, run):
    client.force_login(run.mailing.owner)
    assert emails(client.get(url(run), {"status": "failed"})) == ["=cmd@example.org"]
    assert emails(client.get(url(run), {"q": "анна"})) == ["anna@example.org"]
    assert emails(client.get(url(run), {"q": "boris@"})) == ["boris@example.org"]
    assert emails(client.get(url(run), {"q": "анна", "status": "failed"})) == []
    # An unknown status is no filter, not an error.
    assert len(emails(client.get(url(run), {"status": "<script>"}))) == 3


def test_it_is_paginated(client, run):
    for n in range(60):
        DeliveryFactory(attempt=run, client__email=f"more{n:02}@example.org")
    client.force_login(run.mailing.owner)
    first = client.get(url(run))
    assert len(emails(first)) == 50 and first.context["page_obj"].paginator.num_pages == 2
    assert len(emails(client.get(url(run), {"page": 2}))) == 13


def test_the_csv_has_the_filtered_rows_with_formulas_neutralised(client, run):
    client.force_login(run.mailing.owner)
    response = client.get(url(run, "export/"), {"status": "failed"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # Excel's BOM first
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["email"] for row in rows] == ["'=cmd@example.org"]
    assert rows[0]["status"] == "failed" and rows[0]["server_response"].startswith("550 5.1.1")
    everyone = client.get(url(run, "export/"))
    assert b"".join(everyone.streaming_content).decode().count("\n") == 4  # header + 3


def test_it_is_reachable_from_the_mailing_page_and_the_reports(client, run):
    client.force_login(run.mailing.owner)
    link = f'href="{url(run)}"'
    assert link in client.get(f"/mailings/{run.mailing_id}/").content.decode()
    assert link in client.get("/reports/").content.decode()


def test_another_users_run_is_404_and_a_manager_may_read(client, run):
    client.force_login(UserFactory())
    assert client.get(url(run)).status_code == 404
    assert client.get(url(run, "export/")).status_code == 404
    client.force_login(manager())
    assert client.get(url(run)).status_code == 200
    assert client.get(url(run), {"q": "anna"}).status_code == 200
    assert client.get(url(run, "export/")).status_code == 200


def test_a_run_is_found_only_under_its_own_mailing(client, run):
    other_mailing = MailingFactory(owner=run.mailing.owner)
    client.force_login(run.mailing.owner)
    assert client.get(f"/mailings/{other_mailing.pk}/runs/{run.pk}/").status_code == 404
