from django.conf import settings
from django.core.management.base import BaseCommand

from audience.cleanup import unconfirmed_purge


class Command(BaseCommand):
    help = (
        "Delete waiting clients whose form sign-up was not confirmed in "
        "SUBSCRIBE_PENDING_DAYS and end older waiting memberships. The scheduler does "
        "this on every beat; the command is for a cron without the scheduler."
    )

    def handle(self, *args, **options):
        result = unconfirmed_purge()
        self.stdout.write(
            f"Unconfirmed for {settings.SUBSCRIBE_PENDING_DAYS} days: "
            f"{result.clients_deleted} clients deleted, "
            f"{result.memberships_dropped} waiting memberships dropped, "
            f"{result.memberships_left} back to left."
        )
