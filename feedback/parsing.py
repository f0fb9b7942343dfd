"""Reading bounce (RFC 3464 DSN) and complaint (RFC 5965 ARF) reports.

The failed recipients of a bounce come from flufl.bounce (Mailman's detectors: RFC
3464 first, then the heuristics for the MTAs that do not follow it). The status code of
each, the complaint's feedback report and the headers of our original message come from
the email package's own MIME parsing, as Mailman does it.
"""

import logging
import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.iterators import typed_subpart_iterator
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses, parseaddr

from flufl.bounce import all_failures

# flufl.bounce logs every detector it runs at INFO: one line per report is ours to write.
logging.getLogger("flufl.bounce").setLevel(logging.WARNING)

DSN, ARF = "dsn", "arf"

# RFC 3463: class.subject.detail, e.g. 5.1.1; the first digit says permanent (5) or not.
ENHANCED_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
# Where the envelope recipient of a report (our VERP return path) may be found.
ENVELOPE_HEADERS = ("delivered-to", "x-original-to", "envelope-to", "x-envelope-to", "to")


def smtp_status(reply: str) -> str:
    """The enhanced status code of an SMTP reply or a diagnostic, else its reply code."""
    if found := ENHANCED_STATUS.search(reply):
        return found.group(0)
    code = reply.strip()[:3]
    return code if code.isdigit() else ""


@dataclass(frozen=True)
class Failure:
    address: str
    permanent: bool
    status: str
    diagnostic: str


@dataclass
class Report:
    kind: str = ""  # DSN, ARF, or "" for anything else
    failures: list[Failure] = field(default_factory=list)
    delayed: list[str] = field(default_factory=list)
    # ARF: who complained (the original recipient) and the feedback type.
    complainant: str = ""
    feedback_type: str = ""
    # Addresses that may carry our VERP token, and our original message's headers.
    envelope_addresses: list[str] = field(default_factory=list)
    original: Message | None = None


def _ascii(address: bytes | str) -> str:
    return address.decode("ascii", "replace") if isinstance(address, bytes) else address


def _status_blocks(message: Message) -> dict[str, tuple[str, str]]:
    """Per recipient (lowercased) the Status and Diagnostic-Code of its DSN block."""
    found = {}
    for part in typed_subpart_iterator(message, "message", "delivery-status"):
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            continue
        for block in blocks:
            diagnostic = " ".join(str(block.get("diagnostic-code", "")).split())
            status = str(block.get("status", "")).strip()
            for header in ("final-recipient", "original-recipient"):
                value = str(block.get(header, ""))
                address = parseaddr(value.partition(";")[2].strip() or value)[1].lower()
                if address:
                    found.setdefault(address, (status, diagnostic))
    return found


def _original(message: Message) -> Message | None:
    """The headers of the message the report is about (message/rfc822 or
    text/rfc822-headers part), if it came back."""
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type in ("message/rfc822", "message/rfc822-headers"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        elif content_type == "text/rfc822-headers":
            text = part.get_payload(decode=True) or b""
            return HeaderParser().parsestr(text.decode("utf-8", "replace"))
    return None


def _report_type(message: Message) -> str:
    types = {part.get_content_type() for part in message.walk()}
    if "message/feedback-report" in types:
        return ARF
    if "message/delivery-status" in types or message.get_content_type() == "multipart/report":
        return DSN
    return ""


def _feedback_report(message: Message) -> Message | None:
    for part in typed_subpart_iterator(message, "message", "feedback-report"):
        payload = part.get_payload()
        if isinstance(payload, list) and payload:
            # Fields and per-recipient blocks alike: the first holds Feedback-Type.
            merged = Message()
            for block in payload:
                for name, value in block.items():
                    merged[name] = value
            return merged
        if isinstance(payload, str):
            return HeaderParser().parsestr(payload)
    return None


def report_parse(data: bytes) -> Report:
    """What a report says. Raises on nothing: an unreadable message is a Report of no kind.
    (The email package never raises on malformed MIME; it records defects instead.)"""
    message = message_from_bytes(data)
    report = Report(original=_original(message))
    for header in ENVELOPE_HEADERS:
        report.envelope_addresses += [a for _, a in getaddresses(message.get_all(header, []))]
    if report.original is not None:
        report.envelope_addresses += [
            a for _, a in getaddresses(report.original.get_all("return-path", []))
        ]
    kind = _report_type(message)
    if kind == ARF:
        report.kind = ARF
        fields = _feedback_report(message) or Message()
        report.feedback_type = str(fields.get("feedback-type", "")).strip().lower()
        rcpt = str(fields.get("original-rcpt-to", "") or fields.get("removal-recipient", ""))
        if not rcpt and report.original is not None:
            rcpt = str(report.original.get("to", ""))
        report.complainant = parseaddr(rcpt)[1]
        return report
    temporary, permanent = all_failures(message)
    if not (temporary or permanent):
        report.kind = kind
        return report
    report.kind = DSN
    blocks = _status_blocks(message)
    for raw in sorted(permanent):
        address = _ascii(raw)
        status, diagnostic = blocks.get(address.lower(), ("", ""))
        # An MTA gives up on a 4.x.x too (its queue lifetime ran out): a soft bounce.
        permanent_failure = not status.startswith("4")
        report.failures.append(
            Failure(address, permanent_failure, smtp_status(status) or status, diagnostic)
        )
    report.delayed = [_ascii(raw) for raw in sorted(temporary - permanent)]
    return report
