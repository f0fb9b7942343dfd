import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from sending.conf import celery_enabled
from sending.heartbeat import beat, wake_token
from sending.passes import tick

log = logging.getLogger(__name__)

# How often a long run beats the heartbeat that /healthz shows.
BEAT_EVERY = 5.0


class Command(BaseCommand):
    help = (
        "The embedded scheduler loop (used by `make run`): beats its heartbeat and, every "
        "couple of seconds, claims and sends due mailings, resumes unfinished runs and "
        "imports uploaded client files."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between passes.")

    def handle(self, *args, interval: float, **options):
        self.stopping = False
        self.last_beat = 0.0
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        if celery_enabled():
            self.stdout.write(
                "CELERY_BROKER_URL is set: this loop hands batches to Celery workers."
            )
        self.stdout.write("Scheduler started.")
        while not self.stopping:
            self.handle_one()
            self.sleep(interval)
        self.stdout.write("Scheduler stopped.")

    def handle_one(self) -> None:
        close_old_connections()
        self.last_beat = time.monotonic()
        try:
            enqueue = None
            if celery_enabled():
                from sending.tasks import enqueue_batch as enqueue
            tick(
                source="run_scheduler",
                should_stop=lambda: self.stopping,
                on_progress=self.beat,
                enqueue=enqueue,
            )
        except Exception:
            # A database hiccup must not end the loop: log it and try again next pass.
            log.exception("Scheduler pass failed")
            close_old_connections()

    def beat(self) -> None:
        now = time.monotonic()
        if now - self.last_beat >= BEAT_EVERY:
            beat("run_scheduler")
            self.last_beat = now

    def stop(self, *args) -> None:
        self.stopping = True

    def sleep(self, seconds: float) -> None:
        """Sleep, but wake early when a mailing was just created or sent by hand."""
        token = wake_token()
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(0.2)
            if wake_token() != token:
                return
