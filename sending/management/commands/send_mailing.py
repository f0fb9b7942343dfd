from django.core.management.base import BaseCommand, CommandError

from mailings.lifecycle import enqueue_run
from mailings.models import Mailing
from sending.passes import run_pass


class Command(BaseCommand):
    help = "Run one mailing now, in this process (the same as its Send now button, but at once)."

    def add_arguments(self, parser):
        parser.add_argument("mailing_id", type=int)

    def handle(self, *args, mailing_id: int, verbosity: int, **options):
        mailing = Mailing.objects.filter(pk=mailing_id).first()
        if mailing is None:
            raise CommandError(f"There is no mailing {mailing_id}.")
        if mailing.status == Mailing.Status.DISABLED:
            raise CommandError(f"Mailing {mailing_id} is disabled.")
        # A run already under way is resumed rather than doubled.
        if not mailing.attempts.in_progress().exists():
            enqueue_run(mailing=mailing)
        report = run_pass(mailing_ids=[mailing_id])
        sending = report.sending
        if verbosity:
            self.stdout.write(
                f"Mailing {mailing_id}: sent {sending.sent}, failed {sending.failed}, "
                f"unknown {sending.unknown}, to retry {sending.retried}."
            )
        if report.hold is not None:
            raise CommandError(
                f"Sending is on hold ({report.hold.get_reason_display()}): "
                f"{report.hold.server_response}"
            )
