"""One send per intent: "Send now" on a one-off mailing is its run, whichever door asks
and however often; on a recurring one it takes the place of the next scheduled run, so
no period is sent twice. The whole path with time passing, over a real SMTP server."""

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from api.models import ApiToken
from mailings.models import Mailing
from mailings.tests.factories import mailing_to
from sending.models import Attempt
from sending.passes import run_pass

pytestmark = pytest.mark.django_db


def press_send_now(client, mailing, **data):
    return client.submit(f"/mailings/{mailing.pk}/send/", data, form_url=f"/mailings/{mailing.pk}/")


def api_send(mailing):
    from django.test import Client

    _token, token = ApiToken.issue(owner=mailing.owner, name="ci")
    return Client().post(
        f"/api/v1/mailings/{mailing.pk}/send/", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def test_send_now_on_a_one_off_mailing_is_its_only_run(signed_in, owner, smtp_server):
    """The issue's 495-recipient newsletter: sent by hand at 18:47, due at 19:14."""
    with time_machine.travel(dt.datetime(2026, 3, 2, 18, 47, tzinfo=dt.UTC), tick=False):
        mailing = mailing_to(5, owner=owner, start_at=timezone.now() + dt.timedelta(minutes=27))
        mailing.refresh_from_db()
        assert mailing.status == Mailing.Status.CREATED

        response = press_send_now(signed_in, mailing)
        assert response.status_code == 302
        mailing.refresh_from_db()
        assert (mailing.status, mailing.next_run_at) == (Mailing.Status.RUNNING, None)
        page = signed_in.get(f"/mailings/{mailing.pk}/").content.decode()
        # Nothing has gone out yet: the page says the run waits, not that it was sent.
        assert "Ждёт обработчика" in page
        assert "Запланирована" not in page

        # A second press, a second tab and the API all find the run already asked for.
        press_send_now(signed_in, mailing)
        press_send_now(signed_in, mailing, confirm="yes")
        assert api_send(mailing).status_code == 409
        run_pass()

    for minutes in (28, 60, 24 * 60):
        with time_machine.travel(
            dt.datetime(2026, 3, 2, 18, 47, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes),
            tick=False,
        ):
            run_pass()

    assert Attempt.objects.filter(mailing=mailing).count() == 1
    assert sorted(smtp_server.copies().values()) == [1] * 5
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.COMPLETED
    page = signed_in.get(f"/mailings/{mailing.pk}/").content.decode()
    assert "Отправлена" in page
    assert f'action="/mailings/{mailing.pk}/send/"' not in page

    # After the run, every door refuses a second one and says why.
    response = press_send_now(signed_in, mailing, confirm="yes")
    assert "уже отправлена" in signed_in.get(response.url).content.decode()
    answer = api_send(mailing)
    assert answer.status_code == 409
    assert "already been sent" in answer.json()["detail"] or "уже" in answer.json()["detail"]
    run_pass()
    assert sorted(smtp_server.copies().values()) == [1] * 5


def test_editing_a_sent_one_off_mailing_does_not_schedule_it_again(signed_in, owner):
    from mailings.lifecycle import enqueue_run, mailing_schedule

    mailing = mailing_to(2, owner=owner, start_at=timezone.now() + dt.timedelta(hours=1))
    assert enqueue_run(mailing=Mailing.objects.get(pk=mailing.pk)) is True
    run_pass()
    mailing = Mailing.objects.get(pk=mailing.pk)
    mailing.start_at = timezone.now() + dt.timedelta(days=1)
    mailing.save()
    mailing_schedule(mailing=mailing)
    mailing.refresh_from_db()
    assert (mailing.status, mailing.next_run_at) == (Mailing.Status.COMPLETED, None)


def test_the_database_refuses_a_second_run_of_a_one_off_mailing(owner):
    mailing = mailing_to(1, owner=owner)
    run_pass()
    (attempt,) = Attempt.objects.filter(mailing=mailing)
    assert attempt.slot_at == mailing.created_at
    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.create(
            mailing=mailing,
            trigger=Attempt.Trigger.MANUAL,
            started_at=timezone.now(),
            slot_at=mailing.created_at,
            status="success",
        )


def test_an_edit_between_the_press_and_the_claim_sends_once(signed_in, owner, smtp_server):
    """Found in review: Send now, then the owner moves the start before a worker took
    the run; the edit must not schedule the mailing again."""
    from mailings.lifecycle import enqueue_run, mailing_schedule

    mailing = mailing_to(3, owner=owner, start_at=timezone.now() + dt.timedelta(hours=1))
    assert enqueue_run(mailing=Mailing.objects.get(pk=mailing.pk)) is True
    edited = Mailing.objects.get(pk=mailing.pk)
    edited.start_at = timezone.now() + dt.timedelta(minutes=30)
    edited.save()
    mailing_schedule(mailing=edited)
    edited.refresh_from_db()
    assert edited.next_run_at is None
    assert edited.status == Mailing.Status.RUNNING
    for minutes in (0, 31, 61):
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=minutes), tick=False):
            run_pass()
    assert Attempt.objects.filter(mailing=mailing).count() == 1
    assert sorted(smtp_server.copies().values()) == [1] * 3


def test_a_one_off_mailing_whose_window_passed_unsent_may_still_be_sent(signed_in, owner):
    """Its window passed while the service was down: completed, but it never ran."""
    mailing = mailing_to(
        1,
        owner=owner,
        start_at=timezone.now() - dt.timedelta(hours=2),
        end_at=timezone.now() - dt.timedelta(hours=1),
    )
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.COMPLETED
    assert mailing.status_label == "Завершена"
    press_send_now(signed_in, mailing)
    run_pass()
    assert Attempt.objects.filter(mailing=mailing).count() == 1


def test_a_scheduler_claim_racing_a_press_runs_the_slot_once(owner, smtp_server):
    """The press is read by one process, the due slot by another, before either wrote."""
    from mailings.lifecycle import enqueue_run
    from sending.claims import run_claim

    mailing = mailing_to(3, owner=owner)
    seen_by_scheduler = Mailing.objects.get(pk=mailing.pk)
    assert enqueue_run(mailing=Mailing.objects.get(pk=mailing.pk)) is True
    assert run_claim(mailing=seen_by_scheduler, now=timezone.now()) is None
    run_pass()
    run_pass()
    assert Attempt.objects.count() == 1
    assert sorted(smtp_server.copies().values()) == [1] * 3


def test_send_now_on_a_weekly_mailing_takes_the_place_of_the_next_run(
    signed_in, owner, smtp_server
):
    monday = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    thursday = monday + dt.timedelta(days=3)
    with time_machine.travel(thursday, tick=False):
        mailing = mailing_to(
            2,
            owner=owner,
            start_at=monday + dt.timedelta(days=7),
            periodicity=Mailing.Periodicity.WEEKLY,
            end_at=monday + dt.timedelta(days=60),
        )
        detail = signed_in.get(f"/mailings/{mailing.pk}/").content.decode()
        # The confirmation says which scheduled run this one replaces.
        assert "вместо запланированной" in detail
        response = press_send_now(signed_in, mailing)
        notes = signed_in.get(response.url).content.decode()
        assert "вместо запланированной" in notes
        mailing.refresh_from_db()
        assert mailing.next_run_at == monday + dt.timedelta(days=14)
        run_pass()
        press_send_now(signed_in, mailing, confirm="yes")  # again: the week after
        mailing.refresh_from_db()
        assert mailing.next_run_at == monday + dt.timedelta(days=21)
        run_pass()
    # The replaced Mondays pass without a run; the one after them runs.
    for days in (7, 14):
        with time_machine.travel(monday + dt.timedelta(days=days, minutes=1), tick=False):
            run_pass()
    assert Attempt.objects.filter(mailing=mailing).count() == 2
    with time_machine.travel(monday + dt.timedelta(days=21, minutes=1), tick=False):
        run_pass()
    slots = sorted(Attempt.objects.filter(mailing=mailing).values_list("slot_at", flat=True))
    assert slots == [monday + dt.timedelta(days=d) for d in (7, 14, 21)]
    assert sorted(smtp_server.copies().values()) == [3, 3]


@pytest.mark.slow
def test_a_database_caught_in_the_double_send_is_mended_by_its_migration(transactional_db):
    """Made by the previous release: a one-off mailing sent by hand and still waiting
    for its scheduled time. Migrated, it is completed and its run holds the slot."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("mailings", "0015_mailing_tracking"), ("sending", "0009_rateschedule")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    applied = MigrationExecutor(connection).loader.applied_migrations
    old = executor.loader.project_state(list(applied)).apps
    owner = old.get_model("accounts", "User").objects.create(email="a@example.org", password="!")
    message = old.get_model("mailings", "Message").objects.create(
        owner=owner, subject="Hi", body="Body"
    )
    start = timezone.now() + dt.timedelta(minutes=27)
    mailing = old.get_model("mailings", "Mailing").objects.create(
        owner=owner, message=message, start_at=start, next_run_at=start, status="created"
    )
    old.get_model("sending", "Attempt").objects.create(
        mailing=mailing, trigger="manual", started_at=timezone.now(), status="success"
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    mailing = Mailing.objects.get(pk=mailing.pk)
    assert (mailing.status, mailing.next_run_at) == (Mailing.Status.COMPLETED, None)
    assert Attempt.objects.get(mailing=mailing).slot_at == mailing.created_at
    with time_machine.travel(start + dt.timedelta(minutes=1), tick=False):
        run_pass()
    assert Attempt.objects.filter(mailing=mailing).count() == 1
