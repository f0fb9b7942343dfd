import fcntl
from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import BaseCommand

from sending import holds
from sending.passes import tick


class Command(BaseCommand):
    requires_system_checks = []
    help = (
        "One pass over due mailings: claim every due run and send it, resume unfinished "
        "runs, import uploaded client files. Safe to run from cron every minute, even "
        "overlapping with itself."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--resume",
            action="store_true",
            help="Lift a pause (refused login, breaker) before the pass: the server is fixed.",
        )

    def handle(self, *args, resume: bool, verbosity: int, **options):
        if resume and holds.hold_clear():
            self.stdout.write("Sending pause lifted.")
        with only_one_pass() as alone:
            if not alone:
                # A long run started by an earlier cron tick is still going: joining it
                # would not double anything, but would multiply SEND_RATE.
                self.stdout.write("Another send_mailings pass is still running.")
                return
            self.handle_pass(verbosity)

    def handle_pass(self, verbosity: int) -> None:
        report = tick(source="send_mailings")
        if report.hold is not None:
            hold = report.hold
            self.stderr.write(
                f"Sending is on hold until {hold.retry_at:%Y-%m-%d %H:%M:%S %Z} "
                f"({hold.get_reason_display()}): {hold.server_response}"
            )
        if verbosity:
            sending = report.sending
            self.stdout.write(
                f"Runs started: {report.claimed}; sent {sending.sent}, failed {sending.failed}, "
                f"unknown {sending.unknown}, to retry {sending.retried}."
            )


@contextmanager
def only_one_pass():
    """An exclusive lock on a file in VAR_DIR, released by the kernel even on SIGKILL."""
    with open(settings.VAR_DIR / "send_mailings.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
