"""`Authorization: Bearer <token>` with the personal tokens of api.models."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .models import ApiToken

# Last use is written at most this often per token: not one UPDATE per request.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        # As text, not DRF's latin-1 bytes: a header that is not latin-1 is a bad token,
        # not an exception.
        header = request.META.get("HTTP_AUTHORIZATION", "").split()
        if not header or header[0].lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid Authorization header: use “Bearer <token>”.")
            )
        token = ApiToken.objects.matching(header[1]) if header[1].isascii() else None
        if token is None:
            # Unknown, revoked, expired, or its owner blocked: the same answer for all.
            raise exceptions.AuthenticationFailed(_("The token is invalid, revoked or expired."))
        now = timezone.now()
        if token.last_used_at is None or token.last_used_at < now - LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.owner, token

    def authenticate_header(self, request) -> str:
        # Makes an unauthenticated request a 401 (with this challenge), not a 403.
        return f'{self.keyword} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "rsk_…"}
