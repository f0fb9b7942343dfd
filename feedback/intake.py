"""One report in, its delivery found, the policy applied, or the reason it was ignored.

A report changes a client only when it carries proof that we issued the email it is
about (senders.envelope): the signed VERP token of our return path, or, without one, our
signed Message-ID (<delivery.attempt.hmac@domain>), cross-checked with the Feedback-ID
we put on every mailing email. Ids alone are sequential and guessable: a report with
neither proof is logged and ignored, as is whatever does not match exactly (a forged
token or signature, an address the delivery was not sent to, another owner's mailing
in the Feedback-ID).
"""

import logging
from dataclasses import dataclass

from django.conf import settings

from senders.envelope import delivery_id_from_bounce, delivery_of_message_id
from sending.models import Delivery

from .models import FeedbackEvent
from .parsing import ARF, DSN, Report, report_parse
from .services import feedback_record

log = logging.getLogger(__name__)

# Feedback types that are not complaints (RFC 5965, RFC 6650).
NOT_COMPLAINTS = {"not-spam", "auth-failure", "virus", "other"}


@dataclass(frozen=True)
class Outcome:
    recorded: int  # bounces or complaints recorded
    reason: str  # why nothing (or what) was done, for the log


def _delivery_of(report: Report, envelope_to: str) -> tuple[Delivery | None, str]:
    candidates = ([envelope_to] if envelope_to else []) + report.envelope_addresses
    tokens = [a for a in candidates if a.lower().partition("@")[0].startswith("bounce+")]
    if tokens:
        ids = {delivery_id_from_bounce(address) for address in tokens} - {None}
        if not ids:
            return None, f"the return path {tokens[0]!r} carries a forged or altered token"
        if len(ids) > 1:
            return None, "the report names more than one of our deliveries"
        delivery = (
            Delivery.objects.select_related("attempt__mailing", "client")
            .filter(pk=ids.pop())
            .first()
        )
        return delivery, "" if delivery else "its delivery no longer exists"
    original = report.original
    if original is None:
        return None, "no return path of ours and no original message to match"
    quoted = str(original.get("message-id", "")).strip()
    if not quoted:
        return None, "no return path of ours and its original message has no Message-ID"
    ids = delivery_of_message_id(quoted)
    if ids is None:
        return None, f"its Message-ID {quoted[:100]!r} is not one we signed (no proof)"
    delivery_id, attempt_id = ids
    delivery = (
        Delivery.objects.select_related("attempt__mailing", "client")
        .filter(pk=delivery_id, attempt_id=attempt_id)
        .first()
    )
    if delivery is None:
        return None, "its Message-ID names no delivery of ours"
    feedback_id = str(original.get("feedback-id", "")).strip()
    mailing = delivery.attempt.mailing
    if feedback_id and not feedback_id.startswith(f"{mailing.pk}:{mailing.owner_id}:"):
        return None, "its Feedback-ID names another mailing or owner than its Message-ID"
    return delivery, ""


def report_process(data: bytes, *, envelope_to: str = "") -> Outcome:
    """Apply one DSN or ARF report. Never raises for what the report holds."""
    if not data.strip():
        return _ignored("it is empty")
    if len(data) > settings.BOUNCE_MAX_BYTES:
        return _ignored(f"it is larger than BOUNCE_MAX_BYTES ({len(data)} bytes)")
    try:
        report = report_parse(data)
    except Exception as error:  # a detector choking on a mangled tree: skip the report
        return _ignored(f"it could not be read ({error.__class__.__name__}: {error})")
    if report.kind not in (DSN, ARF):
        return _ignored("it is not a bounce (RFC 3464) or complaint (RFC 5965) report")
    if report.kind == DSN and not report.failures:
        if report.delayed:
            return _ignored("it only says a delivery is delayed")
        return _ignored("it names no failed recipient")
    if report.kind == ARF and report.feedback_type in NOT_COMPLAINTS:
        return _ignored(f"its feedback type {report.feedback_type!r} is not a complaint")
    delivery, problem = _delivery_of(report, envelope_to)
    if delivery is None:
        return _ignored(problem)
    if delivery.client_id is None:
        return _ignored(f"the client of delivery {delivery.pk} was deleted")
    client = delivery.client
    if report.kind == ARF:
        if report.complainant and report.complainant.lower() != delivery.email.lower():
            return _ignored(f"it is about {report.complainant}, not delivery {delivery.pk}'s")
        feedback_record(
            client=client,
            kind=FeedbackEvent.Kind.COMPLAINT,
            source=FeedbackEvent.Source.ARF,
            delivery_id=delivery.pk,
            status_code=report.feedback_type or "abuse",
            server_response=f"Feedback-Type: {report.feedback_type or 'abuse'}",
        )
        return _done(1, f"complaint about delivery {delivery.pk} ({delivery.email})")
    ours = [f for f in report.failures if f.address.lower() == delivery.email.lower()]
    if not ours:
        named = ", ".join(f.address for f in report.failures)
        return _ignored(f"it reports {named}, to which delivery {delivery.pk} was not sent")
    failure = ours[0]
    kind = FeedbackEvent.Kind.HARD if failure.permanent else FeedbackEvent.Kind.SOFT
    feedback_record(
        client=client,
        kind=kind,
        source=FeedbackEvent.Source.DSN,
        delivery_id=delivery.pk,
        status_code=failure.status,
        server_response=failure.diagnostic or failure.status,
    )
    return _done(1, f"{kind} bounce of delivery {delivery.pk} ({delivery.email})")


def _ignored(reason: str) -> Outcome:
    log.warning("Report ignored: %s", reason)
    return Outcome(0, f"ignored: {reason}")


def _done(count: int, what: str) -> Outcome:
    log.info("Report recorded: %s", what)
    return Outcome(count, f"recorded: {what}")
