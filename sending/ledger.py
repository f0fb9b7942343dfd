"""The delivery rows of a run: created, claimed a window at a time, and given their
outcomes. Every raw SQL statement of the engine is here, each for a measured reason.

Rows move only forward. Before a message is handed to the server its row is marked
`sending` (SEND_WINDOW rows at a time, with `claimed_at`); after the reply it becomes
`sent`, `failed`, or `pending` again for a retry. A process killed in between leaves rows
in `sending`: once their lease is over they become `unknown` (runs.deliveries_expire_leases).
"""

import logging
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from audience.models import Client
from mailings.models import Mailing
from mailings.recipients import recipients_of
from transport.smtp import RETRY, SENT, UNKNOWN, Outcome

from .conf import retry_delay
from .content import Recipient
from .models import Attempt, Delivery
from .signals import deliveries_failed, deliveries_marked_failed

log = logging.getLogger(__name__)

# Waits between tries of a write the database did not answer: doubling, capped.
RETRY_FIRST, RETRY_MAX = 0.2, 5.0


def deliveries_insert(*, attempt: Attempt, mailing: Mailing) -> int:
    """One Delivery per recipient of the run (mailings.recipients_of: active clients of
    the owner only, each once), copied by the database itself.

    INSERT ... SELECT instead of bulk_create: no recipient passes through Python, so a
    run of a million clients costs one statement and no memory. The SELECT is Django's
    own compiled query, so its values are parameters like any other query's.
    Raises audience.segments.RuleError when the mailing's segment cannot be evaluated.
    """
    quote = connection.ops.quote_name
    delivery = Delivery._meta
    # Named columns: the outer SELECT reads them by these names on every database.
    recipients = (
        recipients_of(mailing)
        .order_by()
        .values(r_client=F("pk"), r_email=F("email"), r_name=F("full_name"))
    )
    try:
        select, params = recipients.query.sql_with_params()
    except EmptyResultSet:
        return 0  # no target at all: nothing to copy
    into = [
        quote(delivery.get_field(name).column)
        for name in (
            "attempt",
            "client",
            "email",
            "full_name",
            "status",
            "server_response",
            "tries",
        )
    ]
    sql = (
        f"INSERT INTO {quote(delivery.db_table)} ({', '.join(into)}) "
        f"SELECT %s, r_client, r_email, r_name, %s, '', 0 FROM ({select}) r"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [attempt.pk, Delivery.Status.PENDING, *params])
        return cursor.rowcount


@dataclass
class Row:
    """A claimed row, as much of it as sending needs."""

    id: int
    tries: int
    recipient: Recipient


def window_claim(*, attempt_id: int, size: int, ids: list[int] | None, now: datetime) -> list[Row]:
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
            attempt__paused_at__isnull=True,
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
            "pk", "tries", "email", "full_name", "client_id", "client__status", "client__attributes"
        )[:size]
    )
    keep, gone = [], []
    for pk, tries, email, full_name, client_id, client_status, attributes in picked:
        if client_id is None or client_status != Client.Status.ACTIVE:
            # Deleted, unsubscribed, bounced or complained since the run started.
            gone.append(pk)
        else:
            keep.append(Row(pk, tries, Recipient(pk, client_id, email, full_name, attributes)))
    if gone:
        Delivery.objects.filter(pk__in=gone).delete()
    if keep:
        Delivery.objects.filter(pk__in=[row.id for row in keep]).update(
            status=Delivery.Status.SENDING, claimed_at=now
        )
    return keep


def deliveries_hand_back(delivery_ids: list[int] | None) -> None:
    """A batch task that stopped early gives its untried rows back at once, instead of
    leaving them leased to it until SEND_LEASE runs out."""
    if delivery_ids:
        Delivery.objects.filter(pk__in=delivery_ids, status=Delivery.Status.PENDING).update(
            next_try_at=None
        )


def batch_renew_lease(delivery_ids: list[int], *, until: datetime) -> None:
    """A Celery task still sending its batch keeps the rows it has not reached yet."""
    if delivery_ids:
        Delivery.objects.filter(pk__in=delivery_ids, status=Delivery.Status.PENDING).update(
            next_try_at=until
        )


@dataclass(frozen=True)
class DeliveryFailure:
    """A recipient the server refused for good (`permanent`: a 5xx), or kept refusing
    with a 4xx until the tries ran out."""

    delivery_id: int
    client_id: int
    permanent: bool
    reply: str


def _failure(row: Row, outcome: Outcome, *, permanent: bool) -> DeliveryFailure | None:
    """Only a reply of the server about this recipient is a bounce: a timeout or a
    dropped connection says nothing about the address, nor does a refusal of our
    sender address."""
    code = outcome.reply[:3]
    if not (code.isdigit() and code[0] == ("5" if permanent else "4")):
        return None
    if not outcome.about_the_recipient:
        return None
    return DeliveryFailure(row.id, row.recipient.client_id, permanent, outcome.reply)


@dataclass
class Ledger:
    """Outcomes of the rows in flight, written in one statement per window.

    Write-ahead: an outcome leaves memory only once the transaction recording it has
    committed, and a write the database did not answer (a restart, a dropped
    connection, a locked SQLite file) is tried again until it does. A blip therefore
    turns no delivered message into `unknown`.
    """

    done: list[Delivery] = field(default_factory=list)
    released: list[int] = field(default_factory=list)
    failures: list[DeliveryFailure] = field(default_factory=list)
    # Every row that became failed (bounces or not), for the delivery.failed event.
    failed_ids: list[int] = field(default_factory=list)

    def record(self, row: Row, outcome: Outcome, now: datetime) -> None:
        status, reply = outcome.status, outcome.reply
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
            self._note_failure(_failure(row, outcome, permanent=False))
            self.failed_ids.append(row.id)
        elif status == UNKNOWN:
            delivery.status = Delivery.Status.UNKNOWN
        else:
            delivery.status = Delivery.Status.FAILED
            self._note_failure(_failure(row, outcome, permanent=True))
            self.failed_ids.append(row.id)
        self.done.append(delivery)

    def _note_failure(self, failure: DeliveryFailure | None) -> None:
        if failure is not None:
            self.failures.append(failure)

    def release(self, row: Row) -> None:
        """Not tried (the run stopped first): back to pending, as if never claimed."""
        self.released.append(row.id)

    def commit(self, then: Callable[[], Any] = lambda: None) -> Any:
        """Write what is held and run `then` in the same transaction; forget the
        outcomes once it has committed. Returns what `then` returned."""
        wait = RETRY_FIRST
        while True:
            try:
                with transaction.atomic():
                    self._write()
                    result = then()
            except (OperationalError, InterfaceError) as error:
                if connection.in_atomic_block:
                    raise  # the caller's transaction is lost: theirs to redo
                log.warning("Recording outcomes failed, trying again in %.1f s: %s", wait, error)
                _drop_connection()
                time.sleep(wait)
                wait = min(wait * 2, RETRY_MAX)
                continue
            self.done, self.released, self.failures, self.failed_ids = [], [], [], []
            return result

    def _write(self) -> None:
        if self.done:
            _write_outcomes(self.done)
        if self.failures:
            deliveries_failed.send(sender=Ledger, failures=self.failures)
        if self.failed_ids:
            deliveries_marked_failed.send(
                sender=Ledger, delivery_ids=self.failed_ids, failed_at=timezone.now()
            )
        if self.released:
            Delivery.objects.filter(pk__in=self.released, status=Delivery.Status.SENDING).update(
                status=Delivery.Status.PENDING, claimed_at=None, next_try_at=None
            )


def _drop_connection() -> None:
    """The next query opens a fresh connection instead of reusing a broken one."""
    with suppress(OperationalError, InterfaceError):
        connection.close()


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
