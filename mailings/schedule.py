"""When a mailing runs (SPEC §2), as pure functions: no ORM, no clock of their own.

Periods are counted on the wall clock of the owner's time zone, so a daily 09:00 mailing
stays at 09:00 local time across DST changes. Every slot is computed from `start_at`,
never from the previous slot, so a monthly mailing started on Jan 31 runs on Feb 28 (29),
then Mar 31: the anchor day is kept and clamped to each month's last day.
"""

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

ONCE = "once"
STEPS = {
    "daily": relativedelta(days=1),
    "weekly": relativedelta(weeks=1),
    "monthly": relativedelta(months=1),
}


def slot(*, start_at: datetime, periodicity: str, index: int, time_zone: tzinfo) -> datetime:
    """The index-th run time (0 is start_at itself), in UTC."""
    if index == 0 or periodicity == ONCE:
        return start_at.astimezone(UTC)
    local = start_at.astimezone(time_zone).replace(tzinfo=None)
    # A wall time inside a DST gap resolves to the offset before the change (fold=0),
    # i.e. an hour later on the clock; an ambiguous one to its first occurrence.
    wall = local + STEPS[periodicity] * index
    # UTC, because aware datetimes sharing a tzinfo compare by wall time, not instant.
    return wall.replace(tzinfo=time_zone).astimezone(UTC)


def _last_index_at_or_before(
    *, start_at: datetime, periodicity: str, moment: datetime, time_zone: tzinfo
) -> int:
    """The largest index whose slot is <= moment (-1 when moment is before start_at)."""
    if moment < start_at:
        return -1
    start_local = start_at.astimezone(time_zone).replace(tzinfo=None)
    moment_local = moment.astimezone(time_zone).replace(tzinfo=None)
    if periodicity == "monthly":
        guess = (moment_local.year - start_local.year) * 12 + moment_local.month
        guess -= start_local.month
    else:
        days = (moment_local - start_local) // timedelta(days=1)
        guess = days // 7 if periodicity == "weekly" else days
    # The wall-clock estimate can be off by one around DST changes: step back to a
    # slot that is surely not after the moment, then walk forward.
    index = max(guess - 1, 0)
    while slot(
        start_at=start_at, periodicity=periodicity, index=index + 1, time_zone=time_zone
    ) <= (moment):
        index += 1
    return index


def next_run(
    *,
    start_at: datetime,
    periodicity: str,
    end_at: datetime | None,
    last_run_at: datetime | None,
    now: datetime,
    time_zone: tzinfo | str = "UTC",
) -> datetime | None:
    """When the mailing should run next, or None when no run follows.

    `last_run_at` is when the previous run happened (None before the first run). A
    result <= now means "due now". Slots missed while the service was down collapse into
    one due run (the latest missed slot); a run claimed at `now` passes
    `last_run_at=now`, so the following one is the first slot after now. No run starts
    at or after `end_at`.
    """
    if isinstance(time_zone, str):
        time_zone = ZoneInfo(time_zone)
    if end_at is not None and now >= end_at:
        return None
    if periodicity == ONCE:
        candidate = start_at.astimezone(UTC) if last_run_at is None else None
    else:
        # First slot after the previous run...
        after_last = (
            0
            if last_run_at is None
            else _last_index_at_or_before(
                start_at=start_at, periodicity=periodicity, moment=last_run_at, time_zone=time_zone
            )
            + 1
        )
        # ...unless several have passed since: then the latest of them, once.
        latest_due = _last_index_at_or_before(
            start_at=start_at, periodicity=periodicity, moment=now, time_zone=time_zone
        )
        index = max(after_last, latest_due)
        candidate = slot(
            start_at=start_at, periodicity=periodicity, index=index, time_zone=time_zone
        )
    if candidate is None or (end_at is not None and candidate >= end_at):
        return None
    return candidate
