"""Runs of mailings: find what is due, claim it, record every recipient, send, resume.

Every entry point (cron's `send_mailings`, `send_mailing <id>`, the embedded
`run_scheduler`, Celery beat and workers) goes through `run_pass()` or `attempt_send()`.

Exactly once, across any number of processes and after a crash:
* A run is claimed by a conditional UPDATE of the mailing (`next_run_at` or
  `send_requested_at` still holding the value we read); only the process that changed
  the row creates the Attempt and its Delivery rows, in the same transaction.
* Rows move only forward. Before a message is handed to the server its row is marked
  `sending` (SEND_WINDOW rows at a time, with `claimed_at`); after the reply it becomes
  `sent`, `failed`, or `pending` again for a retry. A process killed in between leaves
  rows in `sending`: once their lease is over they become `unknown` and are never sent
  again on their own, since the server may already hold the message.
* A `pending` row of an unfinished run is picked up by any later pass.
* No database transaction stays open while talking to the SMTP server.
"""

import logging
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from mailings.models import Attempt, Client, Delivery, Mailing
from senders.envelope import SigningUnavailable

from . import holds
from .content import Recipient, Renderer
from .models import TransportHold
from .schedule import next_run
from .smtp import (
    FAILED,
    RETRY,
    SENT,
    UNKNOWN,
    Breaker,
    ConnectionFailed,
    RateLimiter,
    SendingPaused,
    transport_from_settings,
)

log = logging.getLogger(__name__)

RUNNABLE = (Mailing.Status.CREATED, Mailing.Status.RUNNING, Mailing.Status.COMPLETED)
SCHEDULED = (Mailing.Status.CREATED, Mailing.Status.RUNNING)
LEASE_EXPIRED = (
    "The sending process stopped while this message was being handed to the server; "
    "it may or may not have been delivered."
)
STOPPED_DISABLED = "Not sent: the mailing was disabled."
STOPPED_BLOCKED = "Not sent: the owner's account is blocked."
NO_RECIPIENTS = "No recipients: every client of the mailing has unsubscribed or none was chosen."


def celery_enabled() -> bool:
    return bool(settings.CELERY_BROKER_URL)


# Claiming runs


def _in_progress_attempt(mailing_ref) -> Exists:
    return Exists(Attempt.objects.filter(mailing=mailing_ref, status=Attempt.Status.IN_PROGRESS))


def due_mailings(*, now: datetime):
    """Mailings with a run to start: a due slot or a "Send now", none already running."""
    return (
        Mailing.objects.filter(owner__is_active=True)
        .filter(
            Q(status__in=SCHEDULED, next_run_at__lte=now)
            | Q(status__in=RUNNABLE, send_requested_at__lte=now)
        )
        .exclude(_in_progress_attempt(OuterRef("pk")))
        .select_related("owner")
        .order_by("next_run_at", "pk")
    )


def _insert_deliveries(*, attempt: Attempt, mailing: Mailing) -> int:
    """One Delivery per subscribed client of the owner, copied by the database itself.

    INSERT ... SELECT instead of bulk_create: no recipient passes through Python, so a
    run of 100,000 clients costs one statement and no memory.
    """
    quote = connection.ops.quote_name
    delivery, client = Delivery._meta, Client._meta
    through = Mailing.clients.through._meta

    def columns(meta, *names) -> list[str]:
        return [quote(meta.get_field(name).column) for name in names]

    into = columns(delivery, "attempt", "client", "email", "full_name", "status")
    into += columns(delivery, "server_response", "tries")
    c_id, c_email, c_name, c_owner, c_unsubscribed = (
        f"c.{column}"
        for column in columns(client, "id", "email", "full_name", "owner", "unsubscribed_at")
    )
    m_client, m_mailing = (f"m.{column}" for column in columns(through, "client", "mailing"))
    sql = (
        f"INSERT INTO {quote(delivery.db_table)} ({', '.join(into)}) "
        f"SELECT %s, {c_id}, {c_email}, {c_name}, %s, '', 0 "
        f"FROM {quote(client.db_table)} c INNER JOIN {quote(through.db_table)} m "
        f"ON {m_client} = {c_id} "
        f"WHERE {m_mailing} = %s AND {c_owner} = %s AND {c_unsubscribed} IS NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [attempt.pk, Delivery.Status.PENDING, mailing.pk, mailing.owner_id])
        return cursor.rowcount


@transaction.atomic
def run_claim(*, mailing: Mailing, now: datetime) -> Attempt | None:
    """Start the run `mailing` (as read a moment ago) is due for, unless another
    process got there first. Returns the new Attempt, or None.

    The claim is an UPDATE of the mailing row alone, conditioned on its own columns:
    PostgreSQL re-checks such conditions on the latest version of a row another
    transaction just changed, but not conditions inside a subquery (which is what a
    filter across a join or an Exists becomes), so those are checked beforehand.
    """
    owner_active = get_user_model().objects.filter(pk=mailing.owner_id, is_active=True)
    running = Attempt.objects.filter(mailing_id=mailing.pk, status=Attempt.Status.IN_PROGRESS)
    if not owner_active.exists() or running.exists():
        return None
    filters: dict = {"pk": mailing.pk}
    updates: dict = {"updated_at": now}
    trigger = None
    runs = False
    scheduled_due = (
        mailing.status in SCHEDULED and mailing.next_run_at and mailing.next_run_at <= now
    )
    if scheduled_due:
        filters["next_run_at"] = mailing.next_run_at
        filters["status__in"] = SCHEDULED
        # No run starts at or after the end: a slot missed past it is dropped.
        runs = mailing.end_at is None or now < mailing.end_at
        following = next_run(
            start_at=mailing.start_at,
            periodicity=mailing.periodicity,
            end_at=mailing.end_at,
            last_run_at=now,
            now=now,
            time_zone=ZoneInfo(mailing.owner.time_zone),
        )
        updates["next_run_at"] = following
        updates["status"] = Mailing.Status.RUNNING if runs else Mailing.Status.COMPLETED
        trigger = Attempt.Trigger.SCHEDULE
    if mailing.send_requested_at and mailing.send_requested_at <= now:
        filters["send_requested_at"] = mailing.send_requested_at
        filters.setdefault("status__in", RUNNABLE)
        updates["send_requested_at"] = None
        runs = True
        trigger = trigger or Attempt.Trigger.MANUAL
    if trigger is None:
        return None
    claimed = Mailing.objects.filter(**filters).update(**updates)
    if claimed != 1 or not runs:
        return None
    attempt = Attempt.objects.create(
        mailing=mailing, trigger=trigger, started_at=now, status=Attempt.Status.IN_PROGRESS
    )
    attempt.total_count = _insert_deliveries(attempt=attempt, mailing=mailing)
    if attempt.total_count:
        attempt.save(update_fields=["total_count"])
    log.info(
        "Claimed run %s of mailing %s: %s recipients", attempt.pk, mailing.pk, attempt.total_count
    )
    return attempt


def runs_claim_due(*, now: datetime, mailing_ids: Iterable[int] | None = None) -> list[Attempt]:
    mailings = due_mailings(now=now)
    if mailing_ids is not None:
        mailings = mailings.filter(pk__in=list(mailing_ids))
    claimed = []
    # Fetched first: SQLite cannot keep a cursor open across the claims' writes.
    for mailing in list(mailings[:1000]):
        attempt = run_claim(mailing=mailing, now=now)
        if attempt is not None:
            claimed.append(attempt)
    return claimed


# Bookkeeping of deliveries


def deliveries_expire_leases(*, now: datetime) -> int:
    """Rows left `sending` by a process that died: the server may hold the message."""
    unfinished = list(
        Attempt.objects.filter(status=Attempt.Status.IN_PROGRESS).values_list("pk", flat=True)
    )
    if not unfinished:
        return 0
    # Conditions on the rows themselves (no join): re-checked if a live worker writes
    # its outcome at the same moment, which must win.
    return Delivery.objects.filter(
        attempt_id__in=unfinished,
        status=Delivery.Status.SENDING,
        claimed_at__lt=now - timedelta(seconds=settings.SEND_LEASE),
    ).update(status=Delivery.Status.UNKNOWN, server_response=LEASE_EXPIRED)


def attempts_stop_cancelled() -> int:
    """Unfinished runs of a disabled mailing or a blocked owner end here: what was not
    sent is recorded as failed, so that nobody is skipped silently."""
    stopped = 0
    unfinished = Attempt.objects.filter(status=Attempt.Status.IN_PROGRESS)
    for reason, condition in (
        (STOPPED_DISABLED, Q(mailing__status=Mailing.Status.DISABLED)),
        (STOPPED_BLOCKED, Q(mailing__owner__is_active=False)),
    ):
        for attempt_id in unfinished.filter(condition).values_list("pk", flat=True):
            Delivery.objects.filter(attempt_id=attempt_id, status=Delivery.Status.PENDING).update(
                status=Delivery.Status.FAILED, server_response=reason
            )
            stopped += attempt_finish_if_done(attempt_id=attempt_id, reply=reason)
    return stopped


def attempt_counts(*, attempt_id: int) -> dict[str, int]:
    rows = (
        Delivery.objects.filter(attempt_id=attempt_id)
        .order_by()
        .values_list("status")
        # COUNT(*), not COUNT(id): the (attempt, status) index alone answers it.
        .annotate(count=Count("*"))
    )
    counts = {status: 0 for status in Delivery.Status.values}
    counts.update(dict(rows))
    counts["total"] = sum(counts[status] for status in Delivery.Status.values)
    return counts


def attempt_finish_if_done(
    *, attempt_id: int, reply: str = "", now: datetime | None = None
) -> bool:
    """Close the run once no row is pending or in flight; complete the mailing when no
    run follows. Safe to call from many processes: one of them closes it."""
    counts = attempt_counts(attempt_id=attempt_id)
    if counts["pending"] or counts["sending"]:
        return False
    now = now or timezone.now()
    success = not counts["failed"] and not counts["unknown"]
    updates = {
        "status": Attempt.Status.SUCCESS if success else Attempt.Status.FAILURE,
        "finished_at": now,
        "total_count": counts["total"],
        "sent_count": counts["sent"],
        "failed_count": counts["failed"],
        "unknown_count": counts["unknown"],
    }
    if not counts["total"]:
        updates["server_response"] = NO_RECIPIENTS
    elif reply and success:
        # A clean run shows the server's last "250 OK"; a failed one keeps its error.
        updates["server_response"] = reply[:2000]
    closed = Attempt.objects.filter(pk=attempt_id, status=Attempt.Status.IN_PROGRESS).update(
        **updates
    )
    if closed:
        mailing_id = Attempt.objects.values_list("mailing_id", flat=True).get(pk=attempt_id)
        Mailing.objects.filter(
            pk=mailing_id,
            status=Mailing.Status.RUNNING,
            next_run_at__isnull=True,
            send_requested_at__isnull=True,
        ).update(status=Mailing.Status.COMPLETED, updated_at=now)
    return bool(closed)


def retry_delay(tries: int) -> float:
    """Capped exponential backoff with jitter, so that retries do not come in waves."""
    delay = min(
        settings.SEND_RETRY_BACKOFF * 2 ** max(tries - 1, 0), settings.SEND_RETRY_BACKOFF_MAX
    )
    return delay * random.uniform(0.8, 1.2)


@dataclass
class _Row:
    id: int
    tries: int
    recipient: Recipient


@dataclass
class _Ledger:
    """Outcomes of the rows in flight, written in one statement per window."""

    done: list[Delivery] = field(default_factory=list)
    released: list[int] = field(default_factory=list)

    def record(self, row: _Row, status: str, reply: str, now: datetime) -> None:
        tries = row.tries + 1  # the UPDATE adds the same one
        delivery = Delivery(pk=row.id, server_response=reply[:2000], sent_at=None, next_try_at=None)
        if status == SENT:
            delivery.status, delivery.sent_at = Delivery.Status.SENT, now
        elif status == RETRY and tries < settings.SEND_MAX_TRIES:
            delivery.status = Delivery.Status.PENDING
            delivery.next_try_at = now + timedelta(seconds=retry_delay(tries))
        elif status == RETRY:
            delivery.status = Delivery.Status.FAILED
            delivery.server_response = f"Gave up after {tries} tries. {reply}"[:2000]
        elif status == UNKNOWN:
            delivery.status = Delivery.Status.UNKNOWN
        else:
            delivery.status = Delivery.Status.FAILED
        self.done.append(delivery)

    def release(self, row: _Row) -> None:
        """Not tried at all (the run stopped first): back to pending as it was."""
        self.released.append(row.id)

    def write(self) -> None:
        if self.done:
            _write_outcomes(self.done)
        if self.released:
            Delivery.objects.filter(pk__in=self.released, status=Delivery.Status.SENDING).update(
                status=Delivery.Status.PENDING, claimed_at=None, next_try_at=None
            )
        self.done, self.released = [], []


OUTCOME_FIELDS = ("status", "server_response", "sent_at", "next_try_at")


def _write_outcomes(done: list[Delivery]) -> None:
    """What `bulk_update(done, OUTCOME_FIELDS)` would run, built directly: Django's
    expression machinery costs more CPU per window than building the emails does."""
    meta, quote = Delivery._meta, connection.ops.quote_name
    pk, tries = quote(meta.pk.column), quote(meta.get_field("tries").column)
    cases, params = [], []
    for name in OUTCOME_FIELDS:
        field = meta.get_field(name)
        value = "%s"
        if connection.vendor == "postgresql":
            value = f"CAST(%s AS {field.cast_db_type(connection)})"
        whens = " ".join([f"WHEN %s THEN {value}"] * len(done))
        cases.append(f"{quote(field.column)} = CASE {pk} {whens} END")
        for delivery in done:
            params += [delivery.pk, field.get_db_prep_save(getattr(delivery, name), connection)]
    ids = ", ".join(["%s"] * len(done))
    params += [delivery.pk for delivery in done]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} SET {', '.join(cases)}, {tries} = {tries} + 1 "
            f"WHERE {pk} IN ({ids})",
            params,
        )


def _claim_window(
    *, attempt_id: int, size: int, ids: list[int] | None, now: datetime
) -> list[_Row]:
    """Mark up to `size` pending rows `sending` and return them. Call inside a transaction.

    On PostgreSQL the rows are locked with SKIP LOCKED, so concurrent workers take
    different rows; SQLite serialises write transactions (BEGIN IMMEDIATE) instead.
    """
    rows = (
        Delivery.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            attempt_id=attempt_id,
            status=Delivery.Status.PENDING,
            attempt__status=Attempt.Status.IN_PROGRESS,
            attempt__mailing__owner__is_active=True,
        )
        .exclude(attempt__mailing__status=Mailing.Status.DISABLED)
        .order_by()
    )
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    else:
        rows = rows.filter(Q(next_try_at__isnull=True) | Q(next_try_at__lte=now))
    picked = list(
        rows.values_list(
            "pk", "tries", "email", "full_name", "client_id", "client__unsubscribed_at"
        )[:size]
    )
    keep, gone = [], []
    for pk, tries, email, full_name, client_id, unsubscribed_at in picked:
        if client_id is None or unsubscribed_at is not None:
            gone.append(pk)  # deleted or unsubscribed since the run started: not a recipient
        else:
            keep.append(_Row(pk, tries, Recipient(pk, client_id, email, full_name)))
    if gone:
        Delivery.objects.filter(pk__in=gone).delete()
    if keep:
        Delivery.objects.filter(pk__in=[row.id for row in keep]).update(
            status=Delivery.Status.SENDING, claimed_at=now
        )
    return keep


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    retried: int = 0
    stopped: str = ""  # why the run stopped before its end ("" when it did not)
    finished: bool = False

    def add(self, other: "SendReport") -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.unknown += other.unknown
        self.retried += other.retried
        self.stopped = self.stopped or other.stopped
        self.finished = other.finished


def _slices(ids: list[int] | None, size: int) -> Iterator[list[int] | None]:
    if ids is None:
        while True:
            yield None
    iterator = iter(ids)
    while chunk := list(islice(iterator, size)):
        yield chunk


def attempt_send(
    *,
    attempt_id: int,
    delivery_ids: list[int] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    on_progress: Callable[[], None] = lambda: None,
) -> SendReport:
    """Send the pending rows of one run (or only `delivery_ids`) over one connection.

    Stops early when the circuit breaker opens, when the server refuses our login, or
    when `should_stop()` says so; whatever was not tried stays pending for a later pass.
    """
    report = SendReport()
    attempt = (
        Attempt.objects.select_related("mailing__message", "mailing__owner")
        .filter(pk=attempt_id)
        .first()
    )
    if attempt is None or attempt.status != Attempt.Status.IN_PROGRESS:
        return report
    try:
        renderer = Renderer.for_mailing(attempt.mailing, attempt_id=attempt_id)
    except SigningUnavailable as unsignable:
        report.failed += attempt_stop(attempt_id=attempt_id, reason=str(unsignable))
        report.finished = True
        return report
    if holds.hold_current() is not None:
        report.stopped = "hold"
        _hand_back(delivery_ids)
        return report
    try:
        transport = transport_from_settings()
    except SendingPaused as pause:
        _pause(attempt_id=attempt_id, reason=pause.reason, reply=pause.reply)
        report.stopped = pause.reason
        _hand_back(delivery_ids)
        return report
    limiter = RateLimiter(settings.SEND_RATE)
    breaker = Breaker(settings.SEND_BREAKER_THRESHOLD)
    ledger = _Ledger()
    last_reply = last_error = ""
    delivered_any = False
    pause: SendingPaused | None = None
    reached = 0  # how many of delivery_ids this task has taken a look at
    try:
        for ids in _slices(delivery_ids, settings.SEND_WINDOW):
            reached += len(ids or ())
            now = timezone.now()
            # The previous window's outcomes and the next window's claim share one
            # short transaction: two statements per window plus one SELECT.
            with transaction.atomic():
                ledger.write()
                rows = (
                    []
                    if should_stop()
                    else _claim_window(
                        attempt_id=attempt_id, size=settings.SEND_WINDOW, ids=ids, now=now
                    )
                )
            if not rows:
                if ids is None or should_stop():
                    break
                continue
            for row in rows:
                if pause or breaker.is_open:
                    ledger.release(row)
                    continue
                try:
                    transport.ensure_open()
                    email = renderer.render(row.recipient)
                    limiter.wait()
                    outcome = transport.send(
                        envelope_from=email.envelope_from,
                        envelope_to=email.envelope_to,
                        data=email.data,
                    )
                except ConnectionFailed as failure:
                    breaker.failure(failure.reply)
                    ledger.release(row)
                    continue
                except SendingPaused as paused:
                    pause = paused
                    ledger.release(row)
                    continue
                if outcome.broken:
                    breaker.failure(outcome.reply)
                else:
                    breaker.success()
                    delivered_any = True
                ledger.record(row, outcome.status, outcome.reply, timezone.now())
                if outcome.status == SENT:
                    report.sent += 1
                    last_reply = outcome.reply
                else:
                    last_error = outcome.reply
                    if outcome.status == UNKNOWN:
                        report.unknown += 1
                    elif outcome.status == FAILED:
                        report.failed += 1
                    else:
                        report.retried += 1
            on_progress()
            if pause or breaker.is_open:
                break
    finally:
        with transaction.atomic():
            ledger.write()
        transport.close()
        if delivery_ids is not None and reached < len(delivery_ids):
            _hand_back(delivery_ids[reached:])
    if pause is not None:
        _pause(attempt_id=attempt_id, reason=pause.reason, reply=pause.reply)
        report.stopped = pause.reason
    elif breaker.is_open:
        _pause(
            attempt_id=attempt_id, reason=TransportHold.Reason.CONNECTION, reply=breaker.last_error
        )
        report.stopped = TransportHold.Reason.CONNECTION
    else:
        if delivered_any:
            holds.hold_clear()
        if last_error:
            Attempt.objects.filter(pk=attempt_id).update(server_response=last_error[:2000])
    report.finished = attempt_finish_if_done(attempt_id=attempt_id, reply=last_reply)
    return report


def attempt_stop(*, attempt_id: int, reason: str) -> int:
    """End a run that must not send (say, its signing key is unusable): every row not
    yet sent fails with the reason, which the report and the owner's page show."""
    stopped = Delivery.objects.filter(attempt_id=attempt_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.FAILED, server_response=reason[:2000]
    )
    Attempt.objects.filter(pk=attempt_id).update(server_response=reason[:2000])
    attempt_finish_if_done(attempt_id=attempt_id)
    log.warning("Run %s stopped: %s", attempt_id, reason)
    return stopped


def _hand_back(delivery_ids: list[int] | None) -> None:
    """A batch task that stopped early gives its untried rows back at once, instead of
    leaving them leased to it until SEND_LEASE runs out."""
    if delivery_ids:
        Delivery.objects.filter(pk__in=delivery_ids, status=Delivery.Status.PENDING).update(
            next_try_at=None
        )


def _pause(*, attempt_id: int, reason: str, reply: str) -> None:
    holds.hold_record(reason=reason, server_response=reply)
    Attempt.objects.filter(pk=attempt_id).update(server_response=reply[:2000])
    log.warning("Sending stopped (%s): %s", reason, reply)


# Celery: a run split into batches of delivery ids


def attempt_enqueue_batches(*, attempt_id: int, now: datetime, enqueue: Callable) -> int:
    """Hand the due pending rows of a run to workers in batches of SEND_BATCH_SIZE ids.

    The rows' `next_try_at` is pushed forward as a lease so that the next beat does not
    enqueue them again; a lost task's rows come back after the lease. A task that runs
    twice is harmless: it only takes rows that are still pending.
    """
    lease_until = now + timedelta(seconds=settings.SEND_LEASE)
    due = (
        Delivery.objects.filter(attempt_id=attempt_id, status=Delivery.Status.PENDING)
        .filter(Q(next_try_at__isnull=True) | Q(next_try_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    batches, last = 0, 0
    # Keyset pages rather than one open cursor: each page is leased before the next read.
    while ids := list(due.filter(pk__gt=last)[: settings.SEND_BATCH_SIZE]):
        last = ids[-1]
        with transaction.atomic():
            Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING).update(
                next_try_at=lease_until
            )
            transaction.on_commit(lambda ids=ids: enqueue(attempt_id, ids))
        batches += 1
    return batches


# One pass


@dataclass
class PassReport:
    claimed: int = 0
    expired: int = 0
    batches: int = 0
    hold: TransportHold | None = None
    sending: SendReport = field(default_factory=SendReport)


def unfinished_attempts(*, mailing_ids: Iterable[int] | None = None):
    attempts = Attempt.objects.filter(status=Attempt.Status.IN_PROGRESS).order_by("started_at")
    if mailing_ids is not None:
        attempts = attempts.filter(mailing_id__in=list(mailing_ids))
    return attempts.values_list("pk", flat=True)


def run_pass(
    *,
    now: datetime | None = None,
    mailing_ids: Iterable[int] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    on_progress: Callable[[], None] = lambda: None,
    enqueue: Callable | None = None,
) -> PassReport:
    """One pass of the scheduler: expire stale leases, close cancelled runs, claim due
    runs and send (or, with `enqueue`, hand batches to Celery workers) every
    unfinished run. Nothing is claimed or sent while sending is on hold."""
    now = now or timezone.now()
    report = PassReport()
    report.expired = deliveries_expire_leases(now=now)
    attempts_stop_cancelled()
    report.hold = holds.hold_current(now=now)
    if report.hold is not None:
        return report
    report.claimed = len(runs_claim_due(now=now, mailing_ids=mailing_ids))
    for attempt_id in list(unfinished_attempts(mailing_ids=mailing_ids)):
        if should_stop():
            break
        if enqueue is not None:
            report.batches += attempt_enqueue_batches(
                attempt_id=attempt_id, now=now, enqueue=enqueue
            )
            attempt_finish_if_done(attempt_id=attempt_id)
            continue
        result = attempt_send(
            attempt_id=attempt_id, should_stop=should_stop, on_progress=on_progress
        )
        report.sending.add(result)
        if result.stopped:
            break
    report.hold = report.hold or holds.hold_current()
    return report
