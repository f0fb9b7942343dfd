from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from senders.dns_checks import records_for
from senders.services import domain_add, domain_trust


class Command(BaseCommand):
    help = (
        "Create a user's sending domain if needed and print the DNS records to publish, "
        'one per line as NAME TXT "VALUE". --trust marks it verified without a DNS lookup.'
    )

    def add_arguments(self, parser):
        parser.add_argument("owner_email")
        parser.add_argument("domain")
        parser.add_argument(
            "--trust", action="store_true", help="Mark the domain verified (no DNS lookup)."
        )

    def handle(self, *args, owner_email: str, domain: str, trust: bool, **options):
        owner = get_user_model().objects.filter(email__iexact=owner_email.strip()).first()
        if owner is None:
            raise CommandError(f"No user with the email {owner_email}.")
        try:
            sending_domain, created = domain_add(owner=owner, domain=domain)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if trust and not domain_trust(domain=sending_domain):
            raise CommandError(
                f"{sending_domain.domain} is verified by another account; not trusted."
            )
        if created:
            self.stderr.write(f"Created {sending_domain.domain} for {owner.email}.")
        for record in records_for(sending_domain):
            self.stdout.write(record.line())
