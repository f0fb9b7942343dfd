import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from feedback.intake import report_process


class Command(BaseCommand):
    help = (
        "Read one bounce (RFC 3464) or complaint (RFC 5965) report on stdin and apply it. "
        "Exits 0 also for a report it ignores, saying why (for an MTA's pipe)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--recipient",
            default="",
            help="The envelope recipient, if the MTA passes it (Postfix: ${original_recipient}).",
        )

    def handle(self, *args, recipient: str, **options):
        # One byte over the limit is enough to know the report is too large.
        data = sys.stdin.buffer.read(settings.BOUNCE_MAX_BYTES + 1)
        outcome = report_process(data, envelope_to=recipient)
        self.stdout.write(outcome.reason)
