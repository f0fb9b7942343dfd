from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": _(
            "Too many failed attempts to log in to this account. Logging in to it is "
            "paused for a few minutes: try again later, or reset your password."
        ),
    }

    def clean_email(self, email: str) -> str:
        # One address, one account, whatever the case the user typed it in.
        return super().clean_email(email).lower()

    def get_client_ip(self, request) -> str:
        # allauth raises ImproperlyConfigured (a 500) when X-Forwarded-For has fewer
        # entries than there are trusted proxies: such a request did not come through
        # all of them, so only the address that connected can be believed.
        forwarded = request.headers.get("x-forwarded-for", "")
        if len(forwarded.split(",")) < settings.ALLAUTH_TRUSTED_PROXY_COUNT:
            return request.META["REMOTE_ADDR"]
        return super().get_client_ip(request)

    def respond_user_inactive(self, request, user):
        # Only after the right password (allauth checks it first): the reason is theirs.
        request.session["blocked_reason"] = user.blocked_reason
        return super().respond_user_inactive(request, user)

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
