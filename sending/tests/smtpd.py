"""Real SMTP servers (aiosmtpd) for the tests, healthy or misbehaving on demand.

`SmtpServer` runs in a thread of the test process; its `faults` can be changed while it
runs, so a test can break the server, run a pass, heal it and run the next pass.
"""

import asyncio
import logging
import shutil
import socket
import ssl
import subprocess
import threading
import warnings
from collections import Counter
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

# aiosmtpd logs every command at INFO: too much for a test report.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Faults:
    """What the server does wrong; every field off means a healthy server."""

    def __init__(self):
        self.no_greeting = False  # accept the connection, never say 220
        self.garbage_on_mail = False  # answer MAIL FROM with a line that is no SMTP reply
        self.mail_delay = 0.0  # seconds before answering MAIL FROM
        self.mail_reply = ""  # a refusal of every MAIL FROM (e.g. "553 ..."): the sender's
        self.data_delay = 0.0  # seconds before answering the final dot (message kept)
        self.drop_mid_data = set()  # recipients whose connection is cut inside DATA
        self.rcpt_replies = {}  # recipient -> reply to RCPT TO (e.g. "451 ..." or "550 ...")
        self.data_replies = {}  # recipient -> reply to the final dot (message not kept)
        self.reply_delay = 0.0  # seconds each reply travels: a server far away
        self.pipelining = False  # offer PIPELINING (RFC 2920) in the reply to EHLO
        self.data_without_recipients = False  # 354 to DATA even after every RCPT failed
        self.max_connections = None  # more at once are greeted with 421 and closed

    def heal(self) -> None:
        """Every fault off; how far away the server is and what it offers stay."""
        reply_delay, pipelining = self.reply_delay, self.pipelining
        self.__init__()
        self.reply_delay, self.pipelining = reply_delay, pipelining


class Recorder:
    """The aiosmtpd handler: keeps every accepted message."""

    def __init__(self, faults: Faults):
        self.faults = faults
        self.lock = threading.Lock()
        self.messages: list[tuple[str, bytes]] = []
        self.return_paths: list[tuple[str, str]] = []  # (recipient, MAIL FROM) per message
        self.connections = 0
        self.active = 0  # connections open now
        self.peak = 0  # the most connections ever open at once
        self.refused = 0  # connections greeted with 421 (max_connections)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.faults.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.faults.mail_delay:
            await asyncio.sleep(self.faults.mail_delay)
        if self.faults.garbage_on_mail:
            return "Hello from a broken proxy"
        if self.faults.mail_reply:
            return self.faults.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.faults.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        recipient = envelope.rcpt_tos[0]
        reply = self.faults.data_replies.get(recipient)
        if reply:
            return reply
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.messages.append((rcpt, envelope.original_content))
                self.return_paths.append((rcpt, envelope.mail_from))
            number = len(self.messages)
        if self.faults.data_delay:
            await asyncio.sleep(self.faults.data_delay)
        return f"250 2.0.0 Ok: queued as Q{number}"

    def copies(self) -> Counter:
        with self.lock:
            return Counter(rcpt for rcpt, _ in self.messages)

    def parsed(self) -> list[Message]:
        with self.lock:
            return [message_from_bytes(data) for _, data in self.messages]


class FaultySMTP(SMTP):
    async def _handle_client(self):
        recorder = self.event_handler
        recorder.connections += 1
        if recorder.faults.no_greeting:
            await asyncio.sleep(3600)
            return
        limit = recorder.faults.max_connections
        if limit is not None and recorder.active >= limit:
            recorder.refused += 1
            await SMTP.push(self, "421 4.7.0 Too many connections, try again later")
            self.transport.close()
            return
        recorder.active += 1
        recorder.peak = max(recorder.peak, recorder.active)
        try:
            await super()._handle_client()
        finally:
            recorder.active -= 1

    async def push(self, status):
        delay = self.event_handler.faults.reply_delay
        if not delay:
            await super().push(status)
            return
        # Each reply arrives `delay` later while the server reads on, as over a long
        # line: a client waiting for every reply pays a round trip per command, one
        # that pipelines pays it once for its batch. Replies stay in order.
        due = max(self.loop.time() + delay, getattr(self, "last_due", 0) + 1e-6)
        self.last_due = due
        self.loop.call_at(due, self._writer.write, f"{status}\r\n".encode())

    async def smtp_DATA(self, arg):
        recipients = set(self.envelope.rcpt_tos) if self.envelope else set()
        if not recipients and self.event_handler.faults.data_without_recipients:
            # Whatever the client sends next is taken as content, up to a lone dot.
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            await self._reader.readuntil(b"\r\n.\r\n")
            await self.push("554 5.5.1 No valid recipients")
            return
        if recipients & self.event_handler.faults.drop_mid_data:
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            await self._reader.readuntil(b"\r\n")  # the first line of the message
            self.transport.close()
            return
        await super().smtp_DATA(arg)


class SmtpServer:
    """An aiosmtpd server on a free local port, in a thread of this process."""

    def __init__(
        self, *, port: int | None = None, users: dict[str, str] | None = None, **controller
    ):
        self.port = port or free_port()
        self.faults = Faults()
        self.handler = Recorder(self.faults)
        self.users = users
        kwargs = dict(controller)
        if users is not None:
            kwargs.setdefault("auth_required", True)
            kwargs.setdefault("auth_require_tls", False)
            kwargs["authenticator"] = self._authenticate

        class _Controller(Controller):
            def factory(self):
                with warnings.catch_warnings():
                    # Login without TLS is what these tests want; aiosmtpd warns about it.
                    warnings.simplefilter("ignore")
                    return FaultySMTP(self.handler, **self.SMTP_kwargs)

        self.controller = _Controller(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=5, **kwargs
        )

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        login = auth_data.login.decode() if isinstance(auth_data.login, bytes) else auth_data.login
        password = auth_data.password
        if isinstance(password, bytes):
            password = password.decode()
        if self.users.get(login) == password:
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)  # aiosmtpd then answers 535

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def url_with(self, user: str, password: str) -> str:
        return f"smtp://{user}:{password}@127.0.0.1:{self.port}"

    def start(self) -> "SmtpServer":
        self.controller.start()
        self.handler.connections = 0  # not the controller's own readiness probe
        return self

    def stop(self) -> None:
        self.controller.stop()

    def copies(self) -> Counter:
        return self.handler.copies()

    @property
    def messages(self) -> list[tuple[str, bytes]]:
        return self.handler.messages


def self_signed_certificate(directory: Path, *, common_name: str, alt_name: str):
    """A certificate for `alt_name` ("DNS:relay.test", "IP:127.0.0.1") made by openssl in
    `directory`, and a server context holding it: (certificate path, context)."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={common_name}",
            "-addext", f"subjectAltName={alt_name}",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context
