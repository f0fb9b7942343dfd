"""How much one request may carry, and how often one token may ask."""

from io import BytesIO

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.throttling import SimpleRateThrottle

from config.limits import limit_hit, limit_reset_in

# Deeper JSON is no request of ours (a bulk client's attributes are three levels down);
# nested thousands deep it would exhaust the stack of whatever walks it.
MAX_JSON_DEPTH = 32


class LimitedJSONParser(BaseParser):
    """JSON, refused with a 413 beyond API_MAX_BODY_BYTES before it is read into memory,
    and with a 400 when nested deeper than MAX_JSON_DEPTH.

    Not a JSONParser subclass on purpose: for those DRF reads `request.body`, which
    Django caps at DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) with an HTML 400, so the API's
    own limit would never be reached. This one reads the stream itself."""

    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        # Here, not at the top: problems imports DRF's views, whose import reads
        # DEFAULT_PARSER_CLASSES, which names this module.
        from .problems import RequestTooLarge

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
        try:
            parsed = JSONParser().parse(BytesIO(data), media_type, parser_context)
        except RecursionError:
            too_deep = True
        else:
            too_deep = not _depth_within(parsed, MAX_JSON_DEPTH)
        if too_deep:
            raise ParseError(
                _("The JSON is nested deeper than %(depth)d levels.") % {"depth": MAX_JSON_DEPTH}
            )
        return parsed


def _depth_within(value, limit: int) -> bool:
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return False
        pending.extend((child, depth + 1) for child in children)
    return True


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
