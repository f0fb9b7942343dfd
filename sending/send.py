"""Sending one run: its pending rows (or one Celery batch of them) over up to
SMTP_CONNECTIONS connections (sending/pool.py), a window of SEND_WINDOW rows at a time
(at least two per connection, so that every connection has its next message waiting).

No database transaction stays open while talking to the SMTP server: a window's claim
and the outcomes that came back meanwhile share one short transaction. Messages are
built in this thread, and every query runs here; the connections' threads do network
only.
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from content.renderer import Renderer
from senders.envelope import SigningUnavailable
from senders.keys import KeyUnusable
from senders.models import Relay
from senders.relays import relay_clear, relay_hold, relay_smtp_settings
from transport.smtp import (
    FAILED,
    SENT,
    UNKNOWN,
    Breaker,
    Outcome,
    SendingPaused,
    SmtpTransport,
    Transport,
    transport_from_settings,
)

from . import holds
from .conf import batch_lease_seconds
from .ledger import Ledger, Row, batch_renew_lease, deliveries_hand_back, window_claim
from .models import Attempt, TransportHold
from .pool import ConnectionPool, Handed
from .rates import SharedRateLimiter
from .runs import attempt_finish_if_done, attempt_pause, attempt_stop


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


def attempt_send(
    *,
    attempt_id: int,
    delivery_ids: list[int] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    on_progress: Callable[[], None] = lambda: None,
) -> SendReport:
    """Send the pending rows of one run (or only `delivery_ids`) over a pool of
    connections.

    Stops early when the circuit breaker opens, when the server refuses our login, or
    when `should_stop()` says so; whatever was not tried stays pending for a later pass.
    """
    report = SendReport()
    attempt = (
        Attempt.objects.select_related("mailing__message", "mailing__owner", "mailing__sender")
        .filter(pk=attempt_id)
        .first()
    )
    if attempt is None or attempt.status != Attempt.Status.IN_PROGRESS:
        return report
    try:
        renderer = Renderer.for_mailing(attempt.mailing, attempt_id=attempt_id)
    except SigningUnavailable as unsignable:
        # Nothing goes out unsigned from a domain that claims to sign.
        report.failed += attempt_stop(attempt_id=attempt_id, reason=str(unsignable))
        report.finished = True
        return report
    route = Route.of(attempt.mailing.owner_id)
    trouble = route.trouble(attempt_id)
    if trouble:
        # A relay's trouble holds its owner's runs only: the pass goes on with others.
        report.stopped = trouble if route.relay is None else ""
        deliveries_hand_back(delivery_ids)
        return report
    run = _Run(attempt_id=attempt_id, route=route, renderer=renderer, report=report)
    windows = _Windows(
        attempt_id=attempt_id,
        delivery_ids=delivery_ids,
        size=max(settings.SEND_WINDOW, 2 * run.connections),
        in_flight=lambda: run.pool.in_flight,
        ledger=run.ledger,
        should_stop=should_stop,
    )
    try:
        for rows in windows:
            for row in rows:
                run.send_one(row)
            run.settle()
            on_progress()
            if run.stopping:
                break
    except BaseException:
        run.pool.halt()  # what has not started yet comes back untried
        raise
    finally:
        try:
            run.close()
        finally:
            run.ledger.commit()
            deliveries_hand_back(windows.untried())
    run.conclude()
    return report


class _Windows:
    """The rows to send, claimed `size` at a time: the run's due pending rows until
    none is left, or (a Celery batch) only those among `delivery_ids`, each id looked at
    once. Each claim shares its transaction with the previous window's outcomes: two
    statements per window plus one SELECT. Rows still in flight from the previous window
    count towards the next one, so that a killed worker never leaves more than `size`
    rows `sending`."""

    def __init__(
        self, *, attempt_id: int, delivery_ids, size: int, in_flight, ledger: Ledger, should_stop
    ):
        self.attempt_id = attempt_id
        self.delivery_ids = delivery_ids
        self.size = size
        self.in_flight = in_flight
        self.reached = 0  # how many of delivery_ids have been looked at
        self.renewed_at = time.monotonic()
        self.ledger = ledger
        self.should_stop = should_stop

    def __iter__(self) -> Iterator[list[Row]]:
        while True:
            size = max(1, self.size - self.in_flight())
            ids = None
            if self.delivery_ids is not None:
                ids = self.delivery_ids[self.reached : self.reached + size]
                if not ids:
                    return
                self.reached += len(ids)
            rows = self.ledger.commit(then=lambda ids=ids, size=size: self._claim(ids, size))
            if rows is None or (not rows and ids is None):
                return
            if rows:
                yield rows

    def _claim(self, ids: list[int] | None, size: int) -> list[Row] | None:
        """The next window, or None when told to stop."""
        if self.should_stop():
            return None
        now = timezone.now()
        lease = batch_lease_seconds()
        if ids is not None and time.monotonic() - self.renewed_at > lease / 3:
            batch_renew_lease(self.untried(), until=now + timedelta(seconds=lease))
            self.renewed_at = time.monotonic()
        return window_claim(attempt_id=self.attempt_id, size=size, ids=ids, now=now)

    def untried(self) -> list[int] | None:
        """The batch's ids never looked at, to hand back when it stopped early."""
        if self.delivery_ids is None:
            return None
        return self.delivery_ids[self.reached :]


class Route:
    """Where the messages of one owner go: the platform's relay (EMAIL_URL, or the
    outbox folder without it) under SEND_RATE and SMTP_CONNECTIONS, or the owner's own
    relay (senders.Relay) under its rate and connections. The platform's trouble holds
    every run (TransportHold); a relay's holds only its owner's runs (on the Relay row),
    and they never fall back to the platform's relay."""

    def __init__(self, relay: Relay | None):
        self.relay = relay
        self.transport_factory: Callable[[], Transport] = transport_from_settings
        self.connections = 1
        self.rate = settings.SEND_RATE if relay is None else relay.rate
        self.rate_key = "platform" if relay is None else f"relay-{relay.pk}"

    @classmethod
    def of(cls, owner_id: int) -> "Route":
        return cls(Relay.objects.filter(owner_id=owner_id).first())

    def trouble(self, attempt_id: int) -> str:
        """Why nothing can be sent now ("" when it can); opens the way otherwise."""
        if self.relay is not None:
            return self._open_relay(attempt_id)
        if holds.hold_current() is not None:
            return "hold"
        try:
            transport = transport_from_settings()
        except SendingPaused as pause:
            return self.hold(attempt_id=attempt_id, reason=pause.reason, reply=pause.reply)
        # An outbox folder has no round trips to overlap.
        if isinstance(transport, SmtpTransport):
            self.connections = settings.SMTP_CONNECTIONS
        return ""

    def _open_relay(self, attempt_id: int) -> str:
        relay = self.relay
        if relay.is_held():
            return relay.hold_reason
        try:
            config = relay_smtp_settings(relay, timeout=settings.SMTP_TIMEOUT)
        except KeyUnusable as error:
            self.hold(attempt_id=attempt_id, reason=Relay.Hold.KEY, reply=str(error))
            return relay.hold_reason
        except SendingPaused as pause:
            self.hold(
                attempt_id=attempt_id, reason=pause.reason, reply=pause.reply, message=pause.message
            )
            return relay.hold_reason
        self.transport_factory = lambda: SmtpTransport(config)
        self.connections = relay.connections
        return ""

    def hold(self, *, attempt_id: int, reason: str, reply: str, message: str = "") -> str:
        """The server made the run stop; returns what the pass should stop for ("" to
        carry on with other owners' runs). The platform's operator reads the server's
        `reply`; a relay's owner the `message` about it, in the language of the pass."""
        if self.relay is None:
            attempt_pause(attempt_id=attempt_id, reason=reason, reply=reply)
            return reason
        told = message or reply
        relay_hold(self.relay, reason=reason, reply=told)
        Attempt.objects.filter(pk=attempt_id).update(server_response=told[:2000])
        return ""

    def clear(self) -> None:
        """The server (or the disk) worked again: should it fail anew, the pause starts
        from the shortest cooldown instead of doubling the last one."""
        if self.relay is None:
            holds.hold_clear()
        else:
            relay_clear(self.relay)


class _Run:
    """What one call of attempt_send holds while it sends: the connections, the limits
    (one rate for every worker on the route, one breaker for all the connections), the
    outcomes not yet written, and what the run's conclusion will need."""

    def __init__(self, *, attempt_id: int, route: Route, renderer: Renderer, report):
        self.attempt_id = attempt_id
        self.route = route
        self.connections = max(1, route.connections)
        self.renderer = renderer
        self.report = report
        self.breaker = Breaker(settings.SEND_BREAKER_THRESHOLD)
        self.limiter = SharedRateLimiter(route.rate_key, route.rate)
        self.pool = ConnectionPool(
            size=self.connections,
            transport_factory=route.transport_factory,
            breaker=self.breaker,
        )
        self.ledger = Ledger()
        self.pause: SendingPaused | None = None
        self.last_reply = self.last_error = ""
        self.delivered_any = False

    @property
    def stopping(self) -> bool:
        return self.pause is not None or self.breaker.is_open

    def send_one(self, row: Row) -> None:
        """One recipient: render and give to the pool; note the outcomes back already."""
        if self.stopping:
            self.ledger.release(row)
            return
        # Signed by the connection's thread: RSA there overlaps the next message's build.
        email = self.renderer.render(row.recipient, sign=False)
        self.pool.give(row, email, self.limiter.next_slot())
        self._take(self.pool.ready())

    def settle(self) -> None:
        """Before the next window: one message in flight per connection at most, so
        that they stay busy while it is claimed; over one connection, none (a window
        at a time, as it always was)."""
        self._take(self.pool.collect(keep=self.connections if self.connections > 1 else 0))

    def close(self) -> None:
        """Wait for the messages in flight and end the connections."""
        self._take(self.pool.close())

    def _take(self, handed: list[Handed]) -> None:
        crashes = []
        for one in handed:
            if one.crash is not None:
                # Left in flight, as when this thread itself fails: unknown after the lease.
                crashes.append(one.crash)
                continue
            if one.outcome is not None:
                self._note(one.row, one.outcome)
                continue
            if isinstance(one.error, SendingPaused):
                self.pause = one.error
            # Not handed over (no connection, a pause, the pool halted): as if never claimed.
            self.ledger.release(one.row)
        if crashes:
            raise crashes[0]

    def _note(self, row: Row, outcome: Outcome) -> None:
        if not outcome.broken:
            self.delivered_any = True
        self.ledger.record(row, outcome, timezone.now())
        report = self.report
        if outcome.status == SENT:
            report.sent += 1
            self.last_reply = outcome.reply
            return
        self.last_error = outcome.reply
        if outcome.status == UNKNOWN:
            report.unknown += 1
        elif outcome.status == FAILED:
            report.failed += 1
        else:
            report.retried += 1

    def conclude(self) -> None:
        """Pause sending if the server made us stop, else lift a hold it has proved
        wrong; then close the run if nothing of it is left."""
        report = self.report
        if self.delivered_any:
            self.route.clear()
        if self.pause is not None:
            report.stopped = self.route.hold(
                attempt_id=self.attempt_id,
                reason=self.pause.reason,
                reply=self.pause.reply,
                message=self.pause.message,
            )
        elif self.breaker.is_open:
            report.stopped = self.route.hold(
                attempt_id=self.attempt_id,
                reason=TransportHold.Reason.CONNECTION,
                reply=self.breaker.last_error,
                message=self.breaker.last_message,
            )
        elif self.last_error:
            Attempt.objects.filter(pk=self.attempt_id).update(
                server_response=self.last_error[:2000]
            )
        report.finished = attempt_finish_if_done(attempt_id=self.attempt_id, reply=self.last_reply)
