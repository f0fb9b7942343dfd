from django.core.management.base import BaseCommand

from sending import holds
from sending.dispatch import run_pass
from sending.heartbeat import beat


class Command(BaseCommand):
    help = (
        "One pass over due mailings: claim every due run and send it, resume unfinished "
        "runs. Safe to run from cron every minute, even overlapping with itself."
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
        beat("send_mailings")
        report = run_pass()
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
