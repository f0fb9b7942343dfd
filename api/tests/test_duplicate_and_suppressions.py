"""Duplicating a mailing or a message, and the suppression list, through the API: the
web's own services, so the copies and the reactivation are exactly the web's."""

import pytest

from audience.models import Client
from content.models import Message
from feedback.models import FeedbackEvent
from feedback.services import feedback_record
from mailings.models import Mailing
from mailings.tests.factories import ClientFactory
from sending.passes import run_pass

pytestmark = pytest.mark.django_db


def test_a_duplicated_mailing_is_a_draft_until_saved_with_a_start(world, owner_api):
    original = Mailing.objects.get(pk=world["mailing"])
    response = owner_api.post(f"/api/v1/mailings/{original.pk}/duplicate/")
    assert response.status_code == 201
    copy = response.json()
    assert copy["id"] != original.pk
    assert (copy["status"], copy["next_run_at"], copy["message"]) == (
        "draft",
        None,
        original.message_id,
    )
    assert copy["clients"] == [world["client"]]
    assert copy["periodicity"] == original.periodicity
    name = Mailing.objects.get(pk=copy["id"]).name
    assert name.startswith(original.title) and name != original.title

    saved = owner_api.patch(
        f"/api/v1/mailings/{copy['id']}/",
        {"start_at": "2031-06-01T09:00:00Z", "end_at": "2031-07-01T09:00:00Z"},
        format="json",
    )
    assert saved.status_code == 200 and saved.json()["status"] == "created"
    assert saved.json()["next_run_at"].startswith("2031-06-01")


def test_a_draft_is_never_sent_by_the_engine(world, owner_api, outbox_dir):
    copy = owner_api.post(f"/api/v1/mailings/{world['mailing']}/duplicate/").json()
    Mailing.objects.filter(pk=copy["id"]).update(next_run_at="2020-01-01T00:00:00Z")
    run_pass()
    assert not Mailing.objects.get(pk=copy["id"]).attempts.exists()


def test_a_duplicated_message_keeps_subject_body_and_format(world, owner_api):
    Message.objects.filter(pk=world["message"]).update(body="# Hi", format="markdown")
    response = owner_api.post(f"/api/v1/messages/{world['message']}/duplicate/")
    assert response.status_code == 201
    copy = Message.objects.get(pk=response.json()["id"])
    original = Message.objects.get(pk=world["message"])
    assert (copy.owner, copy.subject, copy.body, copy.format) == (
        original.owner,
        original.subject,
        "# Hi",
        "markdown",
    )


def test_the_suppression_list_says_why_and_filters_by_status(world, owner_api):
    complained = ClientFactory(owner=world["owner"])
    feedback_record(
        client=complained,
        kind=FeedbackEvent.Kind.COMPLAINT,
        source=FeedbackEvent.Source.ARF,
        status_code="abuse",
        server_response="Feedback-Type: abuse",
    )
    rows = {row["id"]: row for row in owner_api.get("/api/v1/suppressions/").json()["results"]}
    assert set(rows) == {world["suppression"], complained.pk}
    bounced = rows[world["suppression"]]
    assert (bounced["status"], bounced["reason"], bounced["status_code"]) == (
        "bounced",
        "hard",
        "5.1.1",
    )
    assert rows[complained.pk]["server_response"] == "Feedback-Type: abuse"
    assert rows[complained.pk]["suppressed_at"]
    only = owner_api.get("/api/v1/suppressions/", {"status": "complained"}).json()["results"]
    assert [row["id"] for row in only] == [complained.pk]
    refused = owner_api.get("/api/v1/suppressions/", {"status": "active"})
    assert refused.status_code == 400 and "status" in refused.json()["errors"]


def test_reactivating_lets_the_client_receive_again_once(world, owner_api):
    url = f"/api/v1/suppressions/{world['suppression']}/reactivate/"
    response = owner_api.post(url)
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert Client.objects.get(pk=world["suppression"]).status == Client.Status.ACTIVE
    assert FeedbackEvent.objects.get(client_id=world["suppression"]).cleared_at is not None
    assert owner_api.get("/api/v1/suppressions/").json()["results"] == []
    # No longer suppressed: not one of the suppressions any more.
    assert owner_api.post(url).status_code == 404
    assert owner_api.get(f"/api/v1/suppressions/{world['client']}/").status_code == 404
