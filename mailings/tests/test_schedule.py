"""SPEC §2 schedule: the pure `next_run` function, then the same rules driven through the
dispatcher with the clock moved by time-machine."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from mailings.lifecycle import mailing_schedule
from mailings.models import Mailing
from mailings.schedule import next_run
from mailings.tests.factories import ClientFactory, DueMailingFactory
from sending.models import Attempt
from sending.passes import run_pass

UTC = dt.UTC
MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def at(year, month, day, hour=0, minute=0, tz=UTC) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=tz)


def following(start, periodicity, *, end=None, last, now=None, tz=UTC):
    """The run after one made at `last` (the dispatcher passes last_run_at=now)."""
    return next_run(
        start_at=start,
        periodicity=periodicity,
        end_at=end,
        last_run_at=last,
        now=now or last,
        time_zone=tz,
    )


def runs(start, periodicity, count, *, end=None, tz=UTC) -> list[dt.datetime]:
    """The first `count` run times, each run made exactly on time."""
    times = [
        next_run(
            start_at=start,
            periodicity=periodicity,
            end_at=end,
            last_run_at=None,
            now=start,
            time_zone=tz,
        )
    ]
    while len(times) < count and times[-1] is not None:
        times.append(following(start, periodicity, end=end, last=times[-1], tz=tz))
    return times


# The pure function


def test_a_monthly_run_on_the_31st_keeps_its_day_and_clamps_to_short_months():
    start = at(2025, 1, 31, 10, tz=MOSCOW)
    local = [moment.astimezone(MOSCOW) for moment in runs(start, "monthly", 5, tz=MOSCOW)]
    assert [(m.month, m.day, m.hour) for m in local] == [
        (1, 31, 10),
        (2, 28, 10),
        (3, 31, 10),
        (4, 30, 10),
        (5, 31, 10),
    ]


def test_a_leap_year_february_has_its_29th():
    start = at(2028, 1, 31, 12, tz=MOSCOW)
    local = [m.astimezone(MOSCOW) for m in runs(start, "monthly", 3, tz=MOSCOW)]
    assert [(m.month, m.day) for m in local] == [(1, 31), (2, 29), (3, 31)]


def test_a_monthly_run_on_feb_29_comes_back_on_the_29th_where_it_can():
    start = at(2028, 2, 29, 8, tz=UTC)
    days = [(m.year, m.month, m.day) for m in runs(start, "monthly", 4)]
    assert days == [(2028, month, 29) for month in (2, 3, 4, 5)]


def test_a_daily_run_stays_at_nine_local_time_across_both_dst_changes():
    start = at(2025, 3, 28, 9, tz=BERLIN)
    times = runs(start, "daily", 6, tz=BERLIN)
    assert {m.astimezone(BERLIN).hour for m in times} == {9}
    # In UTC the hour moves when Berlin springs forward on March 30.
    assert [m.hour for m in times] == [8, 8, 7, 7, 7, 7]
    autumn = runs(at(2025, 10, 24, 9, tz=BERLIN), "daily", 5, tz=BERLIN)
    assert {m.astimezone(BERLIN).hour for m in autumn} == {9}
    # ...and back when it falls back on October 26.
    assert [m.hour for m in autumn] == [7, 7, 8, 8, 8]


def test_a_run_inside_the_spring_gap_happens_an_hour_later_on_the_clock():
    # 02:30 does not exist in New York on 2025-03-09.
    start = at(2025, 3, 8, 2, 30, tz=NEW_YORK)
    gap_day, next_day = runs(start, "daily", 3, tz=NEW_YORK)[1:]
    assert gap_day == at(2025, 3, 9, 7, 30)  # 03:30 EDT
    assert next_day.astimezone(NEW_YORK).hour == 2  # back to 02:30 the day after


def test_a_weekly_run_keeps_its_weekday_and_local_time():
    start = at(2025, 10, 20, 18, tz=BERLIN)  # a Monday
    times = runs(start, "weekly", 3, tz=BERLIN)
    assert {(m.astimezone(BERLIN).weekday(), m.astimezone(BERLIN).hour) for m in times} == {(0, 18)}


def test_a_moscow_mailing_never_shifts():
    times = runs(at(2025, 3, 28, 9, tz=MOSCOW), "daily", 5, tz=MOSCOW)
    assert {m.hour for m in times} == {6}


def test_once_runs_once():
    start = at(2025, 5, 1, 12)
    assert (
        next_run(start_at=start, periodicity="once", end_at=None, last_run_at=None, now=start)
        == start
    )
    assert following(start, "once", last=start) is None


def test_no_run_at_or_after_the_end():
    start = at(2025, 5, 1, 9)
    end = at(2025, 5, 3, 9)  # exactly on the third slot
    assert runs(start, "daily", 4, end=end) == [at(2025, 5, 1, 9), at(2025, 5, 2, 9), None]
    end_later = at(2025, 5, 3, 9, 1)
    assert runs(start, "daily", 3, end=end_later)[-1] == at(2025, 5, 3, 9)


def test_a_first_slot_at_or_after_the_end_never_runs():
    start = at(2025, 5, 1, 9)
    assert (
        next_run(start_at=start, periodicity="once", end_at=start, last_run_at=None, now=start)
        is None
    )


def test_missed_slots_give_one_due_run_then_the_next_future_slot():
    start = at(2025, 1, 1, 9)
    now = at(2025, 1, 5, 12)  # down since Jan 1, four slots missed
    due = next_run(
        start_at=start, periodicity="daily", end_at=None, last_run_at=at(2025, 1, 1, 9), now=now
    )
    assert due == at(2025, 1, 5, 9)  # one run, now
    assert following(start, "daily", last=now) == at(2025, 1, 6, 9)


def test_nothing_runs_once_the_end_has_passed_even_if_a_slot_was_missed():
    start = at(2025, 1, 1, 9)
    end = at(2025, 1, 3, 0)
    assert (
        next_run(
            start_at=start, periodicity="daily", end_at=end, last_run_at=start, now=at(2025, 1, 4)
        )
        is None
    )


def test_a_mailing_that_never_ran_and_missed_its_start_is_due_now():
    start = at(2025, 1, 1, 9)
    now = at(2025, 1, 3, 10)
    assert (
        next_run(start_at=start, periodicity="weekly", end_at=None, last_run_at=None, now=now)
        == start
    )
    assert next_run(
        start_at=start, periodicity="daily", end_at=None, last_run_at=None, now=now
    ) == at(2025, 1, 3, 9)


def test_it_finds_a_slot_years_away_quickly():
    start = at(2000, 1, 31, 9, tz=BERLIN)
    now = at(2030, 6, 1, 12)
    result = following(start, "daily", last=now, tz=BERLIN)
    assert result == at(2030, 6, 2, 9, tz=BERLIN)


# The same rules, through the dispatcher, with the clock moved


@pytest.fixture
def berlin_owner(db):
    return UserFactory(time_zone="Europe/Berlin")


def create_daily(owner, **kwargs) -> Mailing:
    return create_mailing(owner, periodicity=Mailing.Periodicity.DAILY, **kwargs)


def create_mailing(owner, **kwargs) -> Mailing:
    mailing = DueMailingFactory(owner=owner, clients=[ClientFactory(owner=owner)], **kwargs)
    mailing_schedule(mailing=mailing)
    mailing.refresh_from_db()
    return mailing


@pytest.mark.django_db
def test_a_daily_mailing_runs_each_morning_across_dst_then_completes(berlin_owner):
    with time_machine.travel(at(2025, 3, 27, 20, tz=BERLIN), tick=False) as clock:
        mailing = create_daily(
            berlin_owner,
            start_at=at(2025, 3, 28, 9, tz=BERLIN),
            end_at=at(2025, 4, 1, 0, tz=BERLIN),
        )
        assert mailing.status == Mailing.Status.CREATED
        run_pass()
        assert not Attempt.objects.exists()  # not yet

        seen_next = []
        for day in (28, 29, 30, 31):
            clock.move_to(at(2025, 3, day, 9, 0, tz=BERLIN) + dt.timedelta(seconds=5))
            run_pass()
            mailing.refresh_from_db()
            seen_next.append(mailing.next_run_at)
            assert mailing.attempts.count() == day - 27
        assert mailing.status == Mailing.Status.COMPLETED
        assert seen_next[-1] is None
        assert {n.astimezone(BERLIN).hour for n in seen_next[:-1]} == {9}
        started = [a.started_at.astimezone(BERLIN) for a in mailing.attempts.order_by("started_at")]
        assert [(s.day, s.hour) for s in started] == [(28, 9), (29, 9), (30, 9), (31, 9)]


@pytest.mark.django_db
def test_a_scheduler_down_for_days_sends_once_then_waits_for_the_next_slot(berlin_owner):
    with time_machine.travel(at(2025, 6, 1, 8, tz=BERLIN), tick=False) as clock:
        mailing = create_daily(
            berlin_owner, start_at=at(2025, 6, 1, 9, tz=BERLIN), end_at=at(2025, 7, 1, tz=BERLIN)
        )
        clock.move_to(at(2025, 6, 4, 15, tz=BERLIN))  # three days and a half later
        run_pass()
        run_pass()
        assert mailing.attempts.count() == 1
        mailing.refresh_from_db()
        assert mailing.next_run_at == at(2025, 6, 5, 9, tz=BERLIN)
        assert mailing.status == Mailing.Status.RUNNING


@pytest.mark.django_db
def test_a_monthly_mailing_on_the_31st_runs_on_the_29th_of_a_leap_february(berlin_owner):
    with time_machine.travel(at(2028, 1, 30, tz=BERLIN), tick=False) as clock:
        mailing = create_mailing(
            berlin_owner,
            periodicity=Mailing.Periodicity.MONTHLY,
            start_at=at(2028, 1, 31, 10, tz=BERLIN),
            end_at=at(2028, 12, 31, tz=BERLIN),
        )
        for moment in (at(2028, 1, 31, 10, 1, tz=BERLIN), at(2028, 2, 29, 10, 1, tz=BERLIN)):
            clock.move_to(moment)
            run_pass()
        mailing.refresh_from_db()
        assert mailing.attempts.count() == 2
        assert mailing.next_run_at == at(2028, 3, 31, 10, tz=BERLIN)


@pytest.mark.django_db
def test_a_mailing_created_inside_its_window_is_running_and_due(berlin_owner):
    mailing = create_mailing(berlin_owner)  # a one-off that started a minute ago
    assert mailing.status == Mailing.Status.RUNNING
    assert mailing.next_run_at == mailing.start_at
    run_pass()
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.COMPLETED
    assert mailing.next_run_at is None
    assert mailing.attempts.get().status == Attempt.Status.SUCCESS


@pytest.mark.django_db
def test_a_mailing_whose_end_passed_while_it_waited_completes_without_running(berlin_owner):
    with time_machine.travel(at(2025, 6, 1, 8), tick=False) as clock:
        mailing = create_daily(berlin_owner, start_at=at(2025, 6, 1, 9), end_at=at(2025, 6, 2, 9))
        clock.move_to(at(2025, 6, 3))
        run_pass()
        mailing.refresh_from_db()
        assert mailing.status == Mailing.Status.COMPLETED
        assert not mailing.attempts.exists()


@pytest.mark.django_db
def test_editing_a_mailing_keeps_a_missed_slot_due_and_a_past_window_completed(berlin_owner):
    with time_machine.travel(at(2025, 6, 10, 12), tick=False):
        mailing = create_mailing(
            berlin_owner,
            periodicity=Mailing.Periodicity.WEEKLY,
            start_at=at(2025, 6, 1, 9),
            end_at=at(2025, 7, 1),
        )
        assert mailing.status == Mailing.Status.RUNNING
        assert mailing.next_run_at == at(2025, 6, 8, 9)  # the latest missed slot, due now
        mailing.end_at = at(2025, 6, 5)
        mailing.save()
        mailing_schedule(mailing=mailing)
        mailing.refresh_from_db()
        assert (mailing.status, mailing.next_run_at) == (Mailing.Status.COMPLETED, None)


@pytest.mark.django_db
def test_a_disabled_mailing_is_left_alone(berlin_owner):
    mailing = create_mailing(berlin_owner, status=Mailing.Status.DISABLED)
    assert mailing.status == Mailing.Status.DISABLED
    assert mailing.next_run_at is None
    run_pass()
    assert not mailing.attempts.exists()
