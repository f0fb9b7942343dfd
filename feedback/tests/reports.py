"""Reports as mail servers write them: a Postfix DSN (RFC 3464) and an ARF complaint
(RFC 5965) as the big mailbox providers send them."""

from email import message_from_bytes
from email.message import Message

from content.renderer import Recipient, Renderer
from senders.envelope import bounce_address


def dsn(
    *,
    to: str,
    recipient: str,
    status: str = "5.1.1",
    action: str = "failed",
    diagnostic: str = "",
    message_id: str = "<1.1@example.com>",
    feedback_id: str = "",
) -> bytes:
    diagnostic = diagnostic or f"smtp; 550 {status} <{recipient}>: Recipient address rejected"
    feedback = f"Feedback-ID: {feedback_id}\n" if feedback_id else ""
    return f"""Return-Path: <>
Delivered-To: {to}
From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {to}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4F2A1.1700000000/mx.example.net"
Message-Id: <20261129000000.4F2A1@mx.example.net>

This is a MIME-encapsulated message.

--4F2A1.1700000000/mx.example.net
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{recipient}>: host mx.example.org[192.0.2.1] said: {diagnostic}

--4F2A1.1700000000/mx.example.net
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
X-Postfix-Queue-ID: 4F2A1
Arrival-Date: Sun, 29 Nov 2026 00:00:00 +0000 (UTC)

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.example.org
Diagnostic-Code: {diagnostic}

--4F2A1.1700000000/mx.example.net
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Shop <news@example.com>
To: {recipient}
Subject: News
Message-ID: {message_id}
{feedback}List-Id: <mailing-1.example.com>

--4F2A1.1700000000/mx.example.net--
""".replace("\n", "\r\n").encode()


def arf(
    *,
    return_path: str,
    recipient: str,
    feedback_type: str = "abuse",
    message_id: str = "<1.1@example.com>",
) -> bytes:
    return f"""From: <staff@hotmail.com>
To: <{return_path}>
Subject: complaint about message from 192.0.2.10
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
\tboundary="part1_13d.2e68ed54_boundary"

--part1_13d.2e68ed54_boundary
Content-Type: text/plain; charset="US-ASCII"
Content-Transfer-Encoding: 7bit

This is an email abuse report for an email message received from IP
192.0.2.10 on Sun, 29 Nov 2026 00:00:00 +0000.

--part1_13d.2e68ed54_boundary
Content-Type: message/feedback-report

Feedback-Type: {feedback_type}
User-Agent: SomeGenerator/1.0
Version: 1
Original-Mail-From: <{return_path}>
Original-Rcpt-To: <{recipient}>
Arrival-Date: Sun, 29 Nov 2026 00:00:00 +0000
Source-IP: 192.0.2.10

--part1_13d.2e68ed54_boundary
Content-Type: message/rfc822
Content-Disposition: inline

Return-Path: <{return_path}>
From: <news@example.com>
To: <{recipient}>
Subject: News
Message-ID: {message_id}
Date: Sun, 29 Nov 2026 00:00:00 +0000

Hello.

--part1_13d.2e68ed54_boundary--
""".replace("\n", "\r\n").encode()


def verp(delivery) -> str:
    return bounce_address(delivery.pk)


def sent(delivery) -> Message:
    """The email our sender built for `delivery`, as the receiving server got it: the
    Message-ID and Feedback-ID a genuine report quotes."""
    renderer = Renderer.for_mailing(delivery.attempt.mailing, attempt_id=delivery.attempt_id)
    recipient = Recipient(delivery.pk, delivery.client_id, delivery.email, delivery.full_name)
    return message_from_bytes(renderer.render(recipient).data)
