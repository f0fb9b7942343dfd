"""How much one request may carry, and how often one token may ask."""

from io import BytesIO

from django.conf import settings
from rest_framework.parsers import JSONParser
from rest_framework.throttling import SimpleRateThrottle

from config.limits import limit_hit, limit_reset_in

from .problems import RequestTooLarge


class LimitedJSONParser(JSONParser):
    """JSON, refused with a 413 beyond API_MAX_BODY_BYTES before it is read into memory.

    DRF reads the request stream itself, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE (which
    guards `request.body`) would not apply.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0) if request else 0
        except ValueError:
            declared = 0
        if declared > limit:
            raise RequestTooLarge()
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise RequestTooLarge()
        return super().parse(BytesIO(data), media_type, parser_context)


class TokenRateThrottle(SimpleRateThrottle):
    """Per token (per address for requests without one); 429 with Retry-After beyond.

    Counted by config/limits.py in fixed windows, atomic on every cache backend (DRF's
    own history list is read, then written: under parallel requests it let twice the
    rate through on the file cache)."""

    scope = "token"

    def get_cache_key(self, request, view):
        token = request.auth
        ident = f"token-{token.pk}" if getattr(token, "pk", None) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if limit_hit(scope="api", ident=key, limit=self.num_requests, window=self.duration):
            return True
        self.retry_after = limit_reset_in(window=self.duration)
        return False

    def wait(self):
        return self.retry_after
