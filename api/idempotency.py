"""`Idempotency-Key` on POST: a retried request gets the first one's response.

The key is the owner's for 24 hours. The work and the record of its response commit
together, so two requests racing with one key cannot both do the work: the second
finds the key taken and is told so (409) with nothing of its own written.
"""

import datetime as dt
import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from .models import IdempotentRequest
from .problems import Conflict, IdempotencyKeyReused

HEADER = "Idempotency-Key"
KEPT_FOR = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255


class _Replay(Exception):
    def __init__(self, record: IdempotentRequest):
        self.record = record


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, cls=JSONEncoder)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


class IdempotentPostMixin:
    """For API views: honours the header on POST for an authenticated caller."""

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and request.headers.get(HEADER):
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.idempotency = None
        key = request.headers.get(HEADER)
        if request.method != "POST" or not key:
            return
        if len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise exceptions.ValidationError(
                {HEADER: [_("Use up to 255 printable characters, such as a UUID.")]}
            )
        fingerprint = _fingerprint(request)
        since = timezone.now() - KEPT_FOR
        IdempotentRequest.objects.filter(owner=request.user, created_at__lte=since).delete()
        record = IdempotentRequest.objects.filter(owner=request.user, key=key).first()
        if record is not None:
            if record.fingerprint != fingerprint:
                raise IdempotencyKeyReused()
            raise _Replay(record)
        self.idempotency = (key, fingerprint)

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            response = Response(exc.record.body, status=exc.record.status_code)
            response["Idempotent-Replayed"] = "true"
            return response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "idempotency", None) and 200 <= response.status_code < 300:
            key, fingerprint = self.idempotency
            body = json.loads(json.dumps(response.data, cls=JSONEncoder))
            try:
                with transaction.atomic():
                    IdempotentRequest.objects.create(
                        owner=request.user,
                        key=key,
                        fingerprint=fingerprint,
                        status_code=response.status_code,
                        body=body,
                    )
            except IntegrityError:
                # A parallel request with this key got there first: undo this one's work.
                transaction.set_rollback(True)
                self.idempotency = None
                return self.finalize_response(
                    request,
                    self.handle_exception(
                        Conflict(_("A request with this Idempotency-Key is already under way."))
                    ),
                    *args,
                    **kwargs,
                )
        return response
