"""A run pauses itself when its hard bounces pass 5% (after 100 handed over) or its
complaints 0.3%; the owner and the managers hear of it, and the owner resumes it."""

import csv
import io

import pytest
from django.utils import timezone

from accounts.tests.factories import manager
from audience.models import Client
from feedback.services import feedback_record
from mailings.tests.factories import AttemptFactory, mailing_to
from sending.models import Attempt, Delivery
from sending.passes import run_pass

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_a_run_pauses_at_a_hard_bounce_rate_over_5_percent_and_resumes(
    smtp_server, csrf_client, django_capture_on_commit_callbacks, mailoutbox
):
    overseer = manager()
    mailing = mailing_to(150)
    smtp_server.faults.rcpt_replies = {
        f"reader{i}@example.org": "550 5.1.1 No such user" for i in range(0, 150, 10)
    }
    with django_capture_on_commit_callbacks(execute=True):
        run_pass()
    attempt = Attempt.objects.get()
    assert attempt.paused_at is not None
    assert attempt.status == Attempt.Status.IN_PROGRESS
    assert "bounced" in attempt.pause_reason
    pending = attempt.deliveries.filter(status=Delivery.Status.PENDING).count()
    assert pending > 0  # the rest waits
    run_pass()  # nothing is sent while paused
    assert attempt.deliveries.filter(status=Delivery.Status.PENDING).count() == pending
    (email,) = mailoutbox
    assert set(email.to) == {mailing.owner.email, overseer.email}
    assert f"/mailings/{mailing.pk}/runs/{attempt.pk}/" in email.body

    csrf_client.force_login(mailing.owner)
    page = csrf_client.get(f"/mailings/{mailing.pk}/runs/{attempt.pk}/")
    assert b'id="run-paused"' in page.content and b'id="run-feedback"' in page.content
    response = csrf_client.submit(f"/attempts/{attempt.pk}/resume/", {}, form_url="/mailings/")
    assert response.status_code == 302
    run_pass()  # the owner decided: the same rate does not pause it again
    attempt.refresh_from_db()
    assert attempt.paused_at is None
    assert attempt.status != Attempt.Status.IN_PROGRESS
    assert not attempt.deliveries.filter(status=Delivery.Status.PENDING).exists()
    assert attempt.hard_bounce_count == 15


def test_a_few_bounces_in_a_small_run_pause_nothing_and_are_reported(smtp_server, client):
    mailing = mailing_to(20)
    smtp_server.faults.rcpt_replies = {
        f"reader{i}@example.org": "550 5.1.1 No such user" for i in range(5)
    }
    run_pass()
    attempt = Attempt.objects.get()
    assert attempt.paused_at is None and attempt.hard_bounce_count == 5
    assert attempt.status == Attempt.Status.FAILURE  # finished
    client.force_login(mailing.owner)
    export = client.get("/reports/export/")
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(text))
    assert (row["hard_bounces"], row["soft_bounces"], row["complaints"]) == ("5", "0", "0")


def in_progress_run_with(handed: int) -> Attempt:
    attempt = AttemptFactory(status=Attempt.Status.IN_PROGRESS, finished_at=None)
    owner = attempt.mailing.owner
    clients = Client.objects.bulk_create(
        Client(owner=owner, email=f"c{i}@example.org") for i in range(handed + 1)
    )
    Delivery.objects.bulk_create(
        Delivery(
            attempt=attempt,
            client=client,
            email=client.email,
            status=Delivery.Status.SENT if i < handed else Delivery.Status.PENDING,
            sent_at=timezone.now(),
        )
        for i, client in enumerate(clients)
    )
    return attempt


@pytest.mark.parametrize(("handed", "paused"), [(300, True), (400, False)])
def test_one_complaint_pauses_a_run_only_over_0_3_percent(handed, paused):
    attempt = in_progress_run_with(handed)
    delivery = attempt.deliveries.first()
    feedback_record(client=delivery.client, kind="complaint", source="arf", delivery_id=delivery.pk)
    attempt.refresh_from_db()
    assert attempt.complaint_count == 1
    assert (attempt.paused_at is not None) is paused
