import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from config.redaction import mask_url_passwords
from sending.conf import celery_enabled
from sending.heartbeat import beat, wake_token
from sending.passes import tick
from transport.smtp import SendingPaused, SmtpSettings

log = logging.getLogger(__name__)

# How often a long run beats the heartbeat that /healthz shows.
BEAT_EVERY = 5.0
# After a failed pass (the database, the cache or the broker away) the next one waits
# longer, doubling from the interval up to this many seconds.
MAX_BACKOFF = 60.0


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
        self.stdout.write(f"Scheduler started. {self.mail_destination()}")
        failures = 0
        # Only SIGTERM and SIGINT end the loop: a failed pass is logged and tried again.
        while not self.stopping:
            # Read before the pass: a wake-up that comes while it runs (an upload just
            # after the pass looked for imports) cuts the sleep that follows short.
            token = self.wake_token()
            if self.handle_one():
                failures = 0
                self.sleep(interval, since=token)
            else:
                failures += 1
                self.sleep(min(interval * 2**failures, MAX_BACKOFF), wake=False)
        self.stdout.write("Scheduler stopped.")

    @staticmethod
    def mail_destination() -> str:
        """Where emails go, said once at start: `make run` cannot know what .env holds."""
        if not settings.EMAIL_URL:
            outbox = settings.EMAIL_OUTBOX_DIR
            return f"Emails go to {outbox}/ as .eml files (EMAIL_URL is not set)."
        try:
            smtp = SmtpSettings.from_url(settings.EMAIL_URL, timeout=0)
        except SendingPaused as error:
            return f"Emails are held: {mask_url_passwords(str(error))}."
        return f"Emails go to the SMTP server {smtp.host}:{smtp.port} (EMAIL_URL)."

    def handle_one(self) -> bool:
        """One tick; False when it failed."""
        self.last_beat = time.monotonic()
        try:
            close_old_connections()
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
            log.exception("Scheduler pass failed")
            try:
                close_old_connections()  # a broken connection is replaced next pass
            except Exception:
                log.exception("Closing the database connection failed")
            return False
        return True

    def beat(self) -> None:
        now = time.monotonic()
        if now - self.last_beat >= BEAT_EVERY:
            beat("run_scheduler")
            self.last_beat = now

    def stop(self, *args) -> None:
        self.stopping = True

    def sleep(self, seconds: float, *, wake: bool = True, since: str | None = None) -> None:
        """Sleep, but (with `wake`) wake early when a mailing was just created or sent by
        hand, or a file uploaded, after the wake token `since`. Never raises: a cache
        that is away means no early wake-up."""
        token = since if wake else None
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(0.2)
            if wake and self.wake_token() != token:
                return

    @staticmethod
    def wake_token() -> str | None:
        try:
            return wake_token()
        except Exception:
            return None
