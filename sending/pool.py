"""Many connections per worker (SPEC §6 "Sending at a distance"): up to SMTP_CONNECTIONS
threads, each owning one connection and running the blocking SMTP dialogue of
transport/smtp.py, fed rendered messages by the sending thread through a queue.

A relay 20 ms away spends about 80 ms of round trips per message and almost no CPU: one
connection waits nearly all the time. Threads are enough for waiting; building messages is
CPU work and stays in the sending thread, as does every database query. The threads do
network, and the DKIM signature of their message: OpenSSL's RSA (most of signing) runs
without the GIL, beside the sending thread's building of the next messages. Outcomes come
back through a second queue, and the sending thread writes them through the ledger.

The pool grows once a connection has proved the server works (a reply to a whole
dialogue): a server that is down then costs one connection's failures, counted by the
breaker, rather than one per thread. A connection that cannot be opened while another
one is open means the server limits concurrent connections: that thread stops, and its
message goes back to the queue for the others, as if never tried.
"""

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from content.renderer import Email
from transport.smtp import Breaker, ConnectionFailed, Outcome, SendingPaused, Transport

from .ledger import Row


@dataclass
class Handed:
    """What became of one message given to the pool: an outcome, an error raised before
    the message could be handed over, or neither (not tried: the pool was halted); or a
    crash, an error nobody expected, for the sending thread to raise."""

    row: Row
    outcome: Outcome | None = None
    error: ConnectionFailed | SendingPaused | None = None
    crash: Exception | None = None


class ConnectionPool:
    def __init__(
        self,
        *,
        size: int,
        transport_factory: Callable[[], Transport],
        breaker: Breaker,
    ):
        self.transport_factory = transport_factory
        self.breaker = breaker
        self.jobs: queue.Queue = queue.Queue()
        self.results: queue.Queue[Handed] = queue.Queue()
        self.in_flight = 0  # given and not yet collected; the sending thread's own
        self.halted = threading.Event()
        self.proven = threading.Event()  # a connection completed a dialogue
        self.connected = [False] * max(1, size)  # each thread's connection is open
        self.threads = [
            threading.Thread(target=self._work, args=(number,), daemon=True, name=f"smtp-{number}")
            for number in range(max(1, size))
        ]
        for thread in self.threads:
            thread.start()

    # The sending thread's side

    def give(self, row: Row, email: Email, not_before: float = 0.0) -> None:
        """Send `email` once time.monotonic() reaches `not_before` (its rate slot)."""
        self.in_flight += 1
        self.jobs.put((row, email, not_before))

    def collect(self, *, keep: int = 0) -> list[Handed]:
        """Wait until at most `keep` messages are in flight; returns what came back, which
        includes whatever was already waiting."""
        handed = []
        while self.in_flight > keep:
            handed.append(self.results.get())
            self.in_flight -= 1
        return handed + self.ready()

    def ready(self) -> list[Handed]:
        """What came back so far, without waiting."""
        handed = []
        while True:
            try:
                handed.append(self.results.get_nowait())
            except queue.Empty:
                return handed
            self.in_flight -= 1

    def halt(self) -> None:
        """Messages not yet started come back untried; those under way finish."""
        self.halted.set()

    def close(self) -> list[Handed]:
        """Collect everything in flight, end the threads and their connections."""
        handed = self.collect()
        self.halted.set()
        for _ in self.threads:
            self.jobs.put(None)
        for thread in self.threads:
            thread.join()
        return handed

    # Each connection's thread

    @property
    def stopping(self) -> bool:
        return self.halted.is_set() or self.breaker.is_open

    def _work(self, number: int) -> None:
        transport = self.transport_factory()
        try:
            while True:
                if number and not self.proven.is_set():
                    # Wait for the first connection to prove the server works; a
                    # halted pool still drains its queue.
                    self.proven.wait(0.05)
                    if not self.halted.is_set():
                        continue
                job = self.jobs.get()
                if job is None:
                    return
                row, email, not_before = job
                delay = not_before - time.monotonic()
                if delay > 0:
                    self.halted.wait(delay)  # its slot of the rate, unless halted meanwhile
                if self.stopping:
                    self.results.put(Handed(row))
                    continue
                try:
                    if not self._send(number, transport, row, email):
                        self.jobs.put(job)  # for the connections the server keeps
                        return
                except Exception as crash:
                    # The sending thread must hear of it, or it would wait forever.
                    transport.abort()
                    self.connected[number] = False
                    self.results.put(Handed(row, crash=crash))
        finally:
            transport.close()

    def _send(self, number: int, transport: Transport, row: Row, email: Email) -> bool:
        """One message over this thread's connection; False when this thread must stop
        because the server keeps other connections and refuses one more."""
        email = email.signed()
        try:
            try:
                transport.ensure_open()
                outcome = transport.send(
                    envelope_from=email.envelope_from,
                    envelope_to=email.envelope_to,
                    data=email.data,
                )
            finally:
                self.connected[number] = getattr(transport, "smtp", True) is not None
        except ConnectionFailed as failure:
            if any(self.connected):
                return False
            self.breaker.failure(failure.reply, failure.message)
            self.results.put(Handed(row, error=failure))
            return True
        except SendingPaused as paused:
            self.halt()
            self.results.put(Handed(row, error=paused))
            return True
        if outcome.broken:
            self.breaker.failure(outcome.reply)
        else:
            self.breaker.success()
            self.proven.set()
        self.results.put(Handed(row, outcome=outcome))
        return True
