"""Errors as RFC 9457 problem details: `application/problem+json` with type, title,
status and detail, and `errors` (field → messages) when the input was refused."""

from http import HTTPStatus

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.views import exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "request_too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state of the resource.")
    default_code = "conflict"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _(
        "This Idempotency-Key was already used with another request. "
        "Use a new key for a new request."
    )
    default_code = "idempotency_key_reused"


def _flat(detail) -> str:
    if isinstance(detail, list):
        return " ".join(_flat(item) for item in detail)
    if isinstance(detail, dict):
        return " ".join(_flat(item) for item in detail.values())
    return str(detail)


def problem(*, status_code: int, code: str, detail: str, errors=None) -> dict:
    body = {
        "type": f"urn:rassylka:problem:{code}",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_exception_handler(exc, context):
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body = problem(
            status_code=response.status_code,
            code="invalid",
            detail=str(_("The input is not valid: see errors.")),
            errors=errors,
        )
    else:
        if isinstance(exc, Http404):
            # Django's own 404 carries no words (or a model's name): the same for every row.
            exc = exceptions.NotFound()
        detail = getattr(exc, "detail", "")
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        text = _flat(detail) or HTTPStatus(response.status_code).description
        body = problem(status_code=response.status_code, code=code, detail=text)
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response
