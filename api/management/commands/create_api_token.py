from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for a user; the token is printed alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="command line")
        parser.add_argument("--read-only", action="store_true")

    def handle(self, *args, email, name, read_only, **options):
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user with the email {email}.")
        if not user.is_active:
            raise CommandError(f"{email} is blocked: a token would not work.")
        token, text = ApiToken.issue(owner=user, name=name[:100], read_only=read_only)
        access = "read-only" if read_only else "read and write"
        self.stdout.write(f"Token “{token.name}” for {user.email} ({access}); it is shown once:")
        self.stdout.write(text)
