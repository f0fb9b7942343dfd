"""The dispatcher: claims, one Delivery per recipient, resumption, and who never gets mail."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from audience.models import Client
from mailings.lifecycle import enqueue_run, mailing_disable
from mailings.models import Mailing
from mailings.tests.factories import ClientFactory, DueMailingFactory, MessageFactory, mailing_to
from sending.claims import run_claim
from sending.heartbeat import wake_token
from sending.models import Attempt, Delivery
from sending.passes import run_pass
from sending.runs import LEASE_EXPIRED, STOPPED_BLOCKED, STOPPED_DISABLED
from sending.send import attempt_send

pytestmark = pytest.mark.django_db


def outbox(settings) -> list:
    return (
        sorted(settings.EMAIL_OUTBOX_DIR.glob("*.eml"))
        if settings.EMAIL_OUTBOX_DIR.exists()
        else []
    )


def test_a_claim_records_one_pending_delivery_per_subscribed_client():
    owner = UserFactory()
    subscribed = ClientFactory.create_batch(3, owner=owner)
    gone = ClientFactory(owner=owner, unsubscribed_at=timezone.now())
    bounced = ClientFactory(owner=owner, status=Client.Status.BOUNCED)
    complained = ClientFactory(
        owner=owner, status=Client.Status.COMPLAINED, unsubscribed_at=timezone.now()
    )
    mailing = DueMailingFactory(owner=owner, clients=[*subscribed, gone, bounced, complained])
    mailing.next_run_at = mailing.start_at
    mailing.save()

    attempt = run_claim(mailing=mailing, now=timezone.now())
    assert attempt.total_count == 3
    assert attempt.trigger == Attempt.Trigger.SCHEDULE
    rows = Delivery.objects.filter(attempt=attempt)
    assert {(d.client, d.email, d.full_name, d.status) for d in rows} == {
        (c, c.email, c.full_name, Delivery.Status.PENDING) for c in subscribed
    }


def test_the_same_due_run_is_claimed_once_however_many_try():
    mailing = mailing_to(2)
    seen_by_a, seen_by_b = Mailing.objects.get(pk=mailing.pk), Mailing.objects.get(pk=mailing.pk)
    now = timezone.now()
    assert run_claim(mailing=seen_by_a, now=now) is not None
    assert run_claim(mailing=seen_by_b, now=now) is None
    assert Attempt.objects.count() == 1
    assert Delivery.objects.count() == 2


def test_a_run_never_includes_another_owners_client_even_if_linked():
    mailing = mailing_to(1)
    stranger = ClientFactory()  # a forged M2M row must not leak someone else's client
    mailing.clients.add(stranger)
    run_pass()
    assert list(Delivery.objects.values_list("email", flat=True)) == ["reader0@example.org"]


def test_a_blocked_owner_never_runs(settings):
    mailing = mailing_to(2)
    mailing.owner.is_active = False
    mailing.owner.save()
    run_pass()
    assert not Attempt.objects.exists()
    assert not outbox(settings)


def test_a_disabled_mailing_never_runs(settings):
    mailing = mailing_to(2)
    mailing_disable(mailing=mailing)
    enqueue_run(mailing=mailing)
    run_pass()
    assert not Attempt.objects.exists()
    assert not outbox(settings)


def test_disabling_a_running_mailing_stops_it_and_says_why(settings):
    mailing = mailing_to(5)
    attempt = run_claim(mailing=Mailing.objects.get(pk=mailing.pk), now=timezone.now())
    mailing_disable(mailing=mailing)
    run_pass()
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.FAILURE
    assert attempt.failed_count == 5
    assert set(Delivery.objects.values_list("server_response", flat=True)) == {STOPPED_DISABLED}
    assert not outbox(settings)


def test_blocking_an_owner_mid_run_stops_it(settings):
    mailing = mailing_to(3)
    run_claim(mailing=Mailing.objects.get(pk=mailing.pk), now=timezone.now())
    UserFactory._meta.model.objects.filter(pk=mailing.owner_id).update(is_active=False)
    run_pass()
    assert set(Delivery.objects.values_list("server_response", flat=True)) == {STOPPED_BLOCKED}
    assert Attempt.objects.get().finished_at is not None


@pytest.mark.parametrize(
    "change",
    [
        {"unsubscribed_at": timezone.now(), "status": Client.Status.UNSUBSCRIBED},
        {"status": Client.Status.BOUNCED},
        {"status": Client.Status.COMPLAINED},
    ],
    ids=["unsubscribed", "bounced", "complained"],
)
def test_a_client_who_unsubscribes_mid_run_is_not_sent_to(settings, change):
    mailing = mailing_to(3)
    attempt = run_claim(mailing=Mailing.objects.get(pk=mailing.pk), now=timezone.now())
    Client.objects.filter(email="reader1@example.org").update(**change)
    attempt_send(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    assert (attempt.status, attempt.sent_count, attempt.total_count) == ("success", 2, 2)
    assert len(outbox(settings)) == 2


def test_a_resumed_run_sends_pending_rows_only_and_never_resends_what_was_in_flight(settings):
    mailing = mailing_to(6)
    attempt = run_claim(mailing=Mailing.objects.get(pk=mailing.pk), now=timezone.now())
    rows = list(Delivery.objects.filter(attempt=attempt).order_by("pk"))
    long_ago = timezone.now() - dt.timedelta(seconds=settings.SEND_LEASE + 60)
    # As a killed worker leaves it: two sent, one in flight long ago, one in flight just now.
    Delivery.objects.filter(pk__in=[rows[0].pk, rows[1].pk]).update(status="sent")
    Delivery.objects.filter(pk=rows[2].pk).update(status="sending", claimed_at=long_ago)
    Delivery.objects.filter(pk=rows[3].pk).update(status="sending", claimed_at=timezone.now())

    run_pass()
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses[rows[2].pk] == "unknown"  # lease over: never resent on its own
    assert Delivery.objects.get(pk=rows[2].pk).server_response == LEASE_EXPIRED
    assert statuses[rows[3].pk] == "sending"  # maybe still being sent by a live worker
    assert [statuses[r.pk] for r in rows[4:]] == ["sent", "sent"]
    sent_to = sorted(
        line.split(": ", 1)[1]
        for f in outbox(settings)
        for line in f.read_text().splitlines()
        if line.startswith("To: ")
    )
    assert sent_to == ["reader4@example.org", "reader5@example.org"]
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS  # until the in-flight row resolves


def test_send_now_makes_one_manual_run_however_often_it_is_pressed(settings):
    mailing = mailing_to(2, start_at=timezone.now() + dt.timedelta(days=3))
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.CREATED
    assert enqueue_run(mailing=mailing) is True
    assert enqueue_run(mailing=mailing) is False
    run_pass()
    run_pass()
    attempt = Attempt.objects.get()
    assert attempt.trigger == Attempt.Trigger.MANUAL
    assert attempt.sent_count == 2
    mailing.refresh_from_db()
    # A one-off mailing's run now is its run: nothing waits for its scheduled time.
    assert (mailing.status, mailing.next_run_at) == (Mailing.Status.COMPLETED, None)
    assert mailing.send_requested_at is None
    assert enqueue_run(mailing=mailing) is False


def test_send_now_waits_for_a_run_under_way_instead_of_overlapping_it():
    mailing = mailing_to(
        2, periodicity=Mailing.Periodicity.DAILY, end_at=timezone.now() + dt.timedelta(days=7)
    )
    attempt = run_claim(mailing=Mailing.objects.get(pk=mailing.pk), now=timezone.now())
    enqueue_run(mailing=mailing)
    assert run_claim(mailing=Mailing.objects.get(pk=mailing.pk), now=timezone.now()) is None
    run_pass()  # finishes the first run...
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUCCESS
    run_pass()  # ...and then starts the requested one
    assert Attempt.objects.count() == 2


def test_a_run_without_recipients_is_recorded_and_closed():
    owner = UserFactory()
    mailing = DueMailingFactory(
        owner=owner, clients=[ClientFactory(owner=owner, unsubscribed_at=timezone.now())]
    )
    enqueue_run(mailing=mailing)
    run_pass()
    attempt = Attempt.objects.get()
    assert (attempt.status, attempt.total_count) == (Attempt.Status.SUCCESS, 0)
    assert "No recipients" in attempt.server_response


def test_creating_a_mailing_for_now_sends_nothing_in_the_request_and_the_next_pass_sends(
    csrf_client, settings, django_capture_on_commit_callbacks
):
    owner = UserFactory(time_zone="Europe/Moscow")
    message = MessageFactory(owner=owner)
    client = ClientFactory(owner=owner)
    csrf_client.force_login(owner)
    now = timezone.now().astimezone(zoneinfo.ZoneInfo("Europe/Moscow"))
    token_before = wake_token()
    with django_capture_on_commit_callbacks(execute=True):
        response = csrf_client.submit(
            "/mailings/new/",
            {
                "message": message.pk,
                "clients": [client.pk],
                "periodicity": "once",
                "start_at": (now - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"),
                "end_at": "",
            },
        )
    assert response.status_code == 302
    mailing = Mailing.objects.get()
    assert mailing.status == Mailing.Status.RUNNING
    # Nothing was sent inside the request; the embedded scheduler was woken up.
    assert not outbox(settings)
    assert not Attempt.objects.exists()
    assert wake_token() != token_before

    run_pass()
    [eml] = outbox(settings)
    assert f"To: {client.email}" in eml.read_text()
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.COMPLETED


def test_one_pass_starts_every_due_mailing(settings):
    owner = UserFactory()
    for prefix in ("a", "b", "c"):
        mailing_to(2, owner=owner, prefix=prefix)
    report = run_pass()
    assert report.claimed == 3
    assert Attempt.objects.filter(status=Attempt.Status.SUCCESS).count() == 3
    assert len(outbox(settings)) == 6
