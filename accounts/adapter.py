from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        # One address, one account, whatever the case the user typed it in.
        return super().clean_email(email).lower()

    def format_email_subject(self, subject: str) -> str:
        return f"[{settings.SITE_NAME}] {subject}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Account emails speak of the site by its name and public address, not by
        the host a request happened to reach (without django.contrib.sites allauth
        would greet "127.0.0.1:8000")."""
        site = SimpleNamespace(name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)
        super().send_mail(
            template_prefix,
            email,
            {**context, "current_site": site, "site_url": settings.SITE_URL},
        )
