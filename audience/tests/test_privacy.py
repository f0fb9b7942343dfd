"""A client's data on request: the JSON export and the erasure that keeps the reports."""

import json

import pytest
from django.test import Client as HttpClient

from accounts.tests.factories import UserFactory, manager
from audience.models import Client, ConsentRecord, Membership, Tag
from feedback.models import FeedbackEvent
from mailings.tests.factories import ClientFactory, DeliveryFactory
from reports.figures import attempt_totals
from sending.models import Attempt, Delivery
from sending.services import attempt_resend
from webhooks.models import Endpoint, WebhookMessage

from .signup import list_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_with_history(owner):
    client = ClientFactory(
        owner=owner, email="Anna@Example.org", full_name="Анна", attributes={"city": "Казань"}
    )
    Tag.objects.create(owner=owner, name="vip").clients.add(client)
    mailing_list = list_of(owner=owner, name="News")
    Membership.objects.create(client=client, mailing_list=mailing_list)
    ConsentRecord.objects.create(
        client=client,
        mailing_list=mailing_list,
        source="form",
        ip_address="203.0.113.7",
        user_agent="Firefox",
    )
    sent = DeliveryFactory(attempt__mailing__owner=owner, client=client)
    failed = DeliveryFactory(
        attempt__mailing=sent.attempt.mailing,
        client=client,
        status="failed",
        server_response="550 5.1.1 <anna@example.org>: no such user",
    )
    Attempt.objects.filter(pk=failed.attempt_id).update(
        server_response="550 5.1.1 <Anna@Example.org>: no such user"
    )
    # Someone else in the same run: their row must stay as it is.
    DeliveryFactory(attempt=sent.attempt, client__owner=owner, email="boris@example.org")
    FeedbackEvent.objects.create(
        owner=owner, client=client, delivery=failed, email=client.email, kind="hard", source="smtp"
    )
    return client


def test_the_export_holds_everything_stored_about_the_client(signed_in, client_with_history):
    response = signed_in.get(f"/clients/{client_with_history.pk}/export/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["client"]["email"] == "Anna@Example.org"
    assert data["attributes"] == {"city": "Казань"}
    assert data["tags"] == ["vip"]
    assert [(row["list"], row["status"]) for row in data["lists"]] == [("News", "subscribed")]
    (consent,) = data["consents"]
    assert (consent["ip_address"], consent["user_agent"], consent["source"]) == (
        "203.0.113.7",
        "Firefox",
        "form",
    )
    assert sorted(row["status"] for row in data["deliveries"]) == ["failed", "sent"]
    assert all(row["subject"] for row in data["deliveries"])
    assert [row["kind"] for row in data["bounces_and_complaints"]] == ["hard"]


def test_erasing_keeps_every_figure_of_the_runs(signed_in, client_with_history):
    attempt = Delivery.objects.get(client=client_with_history, status="failed").attempt
    totals = attempt_totals(Attempt.objects.all())
    counts = (Delivery.objects.count(), attempt.sent_count, attempt.failed_count)

    page = signed_in.get(f"/clients/{client_with_history.pk}/erase/")
    assert page.status_code == 200
    assert Client.objects.filter(pk=client_with_history.pk).exists()  # GET only asks
    response = signed_in.submit(f"/clients/{client_with_history.pk}/erase/")

    assert response.status_code == 302
    assert not Client.objects.filter(pk=client_with_history.pk).exists()
    attempt.refresh_from_db()
    assert attempt_totals(Attempt.objects.all()) == totals
    assert (Delivery.objects.count(), attempt.sent_count, attempt.failed_count) == counts
    erased = Delivery.objects.filter(client=None)
    assert erased.count() == 2
    assert set(erased.values_list("email", "full_name")) == {("", "")}
    assert "anna" not in " ".join(erased.values_list("server_response", flat=True)).lower()
    assert "anna" not in attempt.server_response.lower()
    assert Delivery.objects.filter(email="boris@example.org").exclude(client=None).exists()
    assert not ConsentRecord.objects.exists()
    assert not Membership.objects.exists()
    assert not FeedbackEvent.objects.exists()


def test_a_manager_may_export_but_not_erase(client_with_history):
    browser = HttpClient()
    browser.force_login(manager())
    assert browser.get(f"/clients/{client_with_history.pk}/export/").status_code == 200
    assert browser.get(f"/clients/{client_with_history.pk}/erase/").status_code == 403
    assert browser.post(f"/clients/{client_with_history.pk}/erase/").status_code == 403
    assert Client.objects.filter(pk=client_with_history.pk).exists()


def test_another_users_client_is_404(client_with_history):
    browser = HttpClient()
    browser.force_login(UserFactory())
    for response in (
        browser.get(f"/clients/{client_with_history.pk}/export/"),
        browser.get(f"/clients/{client_with_history.pk}/erase/"),
        browser.post(f"/clients/{client_with_history.pk}/erase/"),
    ):
        assert response.status_code == 404
    assert Client.objects.filter(pk=client_with_history.pk).exists()


def test_the_client_page_shows_the_consents_and_the_privacy_actions(signed_in, client_with_history):
    page = signed_in.get(f"/clients/{client_with_history.pk}/").content.decode()
    assert 'id="client-consents"' in page
    assert "203.0.113.7" in page
    assert 'id="client-data-export"' in page
    assert 'id="client-data-erase"' in page

    overseer = HttpClient()
    overseer.force_login(manager())
    page = overseer.get(f"/clients/{client_with_history.pk}/").content.decode()
    assert 'id="client-data-export"' in page
    assert 'id="client-data-erase"' not in page


def test_an_erased_recipient_is_not_sent_to_by_a_run_under_way_nor_by_a_resend(signed_in, owner):
    client = ClientFactory(owner=owner, email="anna@example.org")
    waiting = DeliveryFactory(
        attempt__mailing__owner=owner,
        attempt__status=Attempt.Status.IN_PROGRESS,
        attempt__finished_at=None,
        client=client,
        status="pending",
        server_response="",
    )
    failed = DeliveryFactory(
        attempt__mailing=waiting.attempt.mailing, client=client, status="failed"
    )

    signed_in.submit(f"/clients/{client.pk}/erase/")

    waiting.refresh_from_db()
    assert (waiting.status, waiting.email) == ("failed", "")
    assert "erased" in waiting.server_response
    Attempt.objects.filter(pk=waiting.attempt_id).update(
        status=Attempt.Status.FAILURE, finished_at=waiting.attempt.started_at
    )
    assert attempt_resend(attempt=failed.attempt) == 0
    failed.refresh_from_db()
    assert failed.status == "failed"
    page = signed_in.get(
        f"/mailings/{failed.attempt.mailing_id}/runs/{failed.attempt_id}/"
    ).content.decode()
    assert "данные удалены" in page


def test_erasing_takes_the_client_out_of_the_owners_webhook_messages(
    signed_in, owner, client_with_history
):
    endpoint = Endpoint.objects.create(
        owner=owner, url="https://hooks.example.com/", event_types=["delivery.failed"]
    )

    def message(key: str, data: dict) -> WebhookMessage:
        return WebhookMessage.objects.create(
            endpoint=endpoint,
            event_key=key,
            event_type="delivery.failed",
            msg_id=f"msg_{key}",
            payload={"type": "delivery.failed", "timestamp": "2026-11-29T00:00:00", "data": data},
        )

    about_anna = message(
        "anna",
        {
            "client_id": client_with_history.pk,
            "email": "Anna@Example.org",
            "full_name": "Анна",
            "server_response": "550 5.1.1 <Anna@Example.org>: no such user",
            "tries": 1,
        },
    )
    about_boris = message(
        "boris",
        {"client_id": client_with_history.pk + 1, "email": "boris@example.org", "tries": 1},
    )

    signed_in.submit(f"/clients/{client_with_history.pk}/erase/")

    about_anna.refresh_from_db()
    about_boris.refresh_from_db()
    assert about_anna.payload["data"] == {
        "client_id": client_with_history.pk,
        "email": "",
        "full_name": "",
        "server_response": "550 5.1.1 <>: no such user",
        "tries": 1,
    }
    assert about_anna.payload["type"] == "delivery.failed"
    assert about_boris.payload["data"]["email"] == "boris@example.org"
