from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import DEMO_PASSWORD, describe_logins, seed_users
from blog.demo import seed_posts
from dashboard.demo import seed_workspace


class Command(BaseCommand):
    help = "Create demo users, clients, messages, mailings, attempts and blog posts (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--logins", action="store_true", help="Only print the demo logins.")

    def handle(self, *args, logins: bool, **options):
        if not logins:
            with transaction.atomic():
                users = seed_users()
                seed_workspace(users)
                seed_posts(users)
            self.stdout.write(self.style.SUCCESS("Demo data is in place."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, role in describe_logins():
            self.stdout.write(f"  {email:32} {role}")
