from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from feedback.mailbox import mailbox_fetch


class Command(BaseCommand):
    help = (
        "Process every report in the mailbox at BOUNCE_MAILBOX_URL (imaps://, imap://, "
        "pop3s://) like process_bounce, and delete them."
    )

    def handle(self, *args, **options):
        if not settings.BOUNCE_MAILBOX_URL:
            raise CommandError("BOUNCE_MAILBOX_URL is not set: there is no mailbox to read.")
        try:
            processed = mailbox_fetch()
        except Exception as error:
            # A login refused or a server gone: one clear line, not a traceback.
            raise CommandError(f"Reading the bounce mailbox failed: {error}") from error
        self.stdout.write(f"{processed} messages processed.")
