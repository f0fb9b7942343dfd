"""How large a request a visitor who is not signed in may send: the public forms take a
few short fields, so a big body there is an attack on the disk or the memory (Django
keeps uploaded files on disk without a limit). The API and the providers' webhooks have
limits of their own (API_MAX_BODY_BYTES, BOUNCE_MAX_BYTES)."""

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext

EXEMPT_PREFIXES = ("/api/", "/webhooks/")


class AnonymousBodyLimitMiddleware:
    """413 for a body over ANONYMOUS_MAX_BODY_BYTES from a visitor who is not signed in,
    before anything reads it. After AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._too_large(request):
            return HttpResponse(
                gettext("The request is too large."),
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

    def _too_large(self, request) -> bool:
        if request.path.startswith(EXEMPT_PREFIXES):
            return False
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return False  # Django reads no body it cannot measure
        # The size first: the user (a session, a database query) only for a large body,
        # so that /healthz answers while the database is away.
        return declared > settings.ANONYMOUS_MAX_BODY_BYTES and not request.user.is_authenticated
