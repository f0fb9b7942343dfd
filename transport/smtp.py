"""Talking to the mail server: one connection reused for many messages, a timeout on every
network step, and every reply sorted into what the dispatcher should do next (SPEC §3).

The SMTP dialogue is driven step by step (MAIL, RCPT, DATA, the content) rather than by
`smtplib.sendmail`, because what a failure means depends on when it happens: before
the content is handed over the message can be retried safely; once the content has gone
out, a broken connection leaves it unknown whether the server took it, and sending it
again could deliver it twice.
"""

import hashlib
import logging
import re
import smtplib
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import environ
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext

from config.addresses import address_is_public

from .outbox import write_eml

log = logging.getLogger(__name__)

SENT = "sent"
RETRY = "retry"
FAILED = "failed"
UNKNOWN = "unknown"

# The step of the dialogue a reply answered. Only a refusal at RCPT TO, or of the
# content itself, is about the recipient: one at MAIL FROM or at the DATA command is
# about our sender address or our connection, and bounces nobody.
MAIL = "mail"
RCPT = "rcpt"
DATA = "data"
CONTENT = "content"
# Enhanced status X.1.7 and X.1.8 (RFC 3463) name the sender's address whatever the step:
# Postfix, by default, answers its sender checks only at RCPT TO (smtpd_delay_reject).
ABOUT_THE_SENDER = re.compile(r"^\d{3}[ -][45]\.1\.[78]\b")

# Replies that mean "your login is wrong or missing": a configuration problem that
# every following message would hit too.
AUTH_CODES = {530, 534, 535, 538}
# "Service not available, closing transmission channel": the connection is gone.
CLOSING = 421


@dataclass(frozen=True)
class Outcome:
    status: str  # SENT, RETRY, FAILED or UNKNOWN
    reply: str
    # The connection is unusable afterwards: counts towards the circuit breaker.
    broken: bool = False
    stage: str = ""  # MAIL, RCPT, DATA or CONTENT: which step the reply answered

    @property
    def about_the_recipient(self) -> bool:
        """The reply refused this recipient (a bounce), not our sender or connection."""
        return self.stage in (RCPT, CONTENT) and not ABOUT_THE_SENDER.match(self.reply)


class ConnectionFailed(Exception):
    """The server could not be reached or greeted us badly; no message was handed over.

    `reply` is for the operator's log; `message` is what a user is told about their own
    relay: a sentence in the language active where it was raised."""

    def __init__(self, reply: str, message: str = ""):
        super().__init__(reply)
        self.reply = reply
        self.message = message or reply


class SendingPaused(Exception):
    """Sending must stop for everyone until the operator fixes EMAIL_URL or, without it,
    the outbox folder (SPEC §3). `reply` and `message` as for ConnectionFailed."""

    def __init__(self, reason: str, reply: str, message: str = ""):
        super().__init__(reply)
        self.reason = reason  # TransportHold.Reason value: "auth", "config" or "local"
        self.reply = reply
        self.message = message or reply


class AddressUnusable(SendingPaused):
    """A user's relay names a host that does not resolve, or resolves to a private or
    local address: no connection is tried, and none would ever work."""


def describe(error: BaseException) -> str:
    """The server's reply, or the error as an operator would like to read it."""
    if isinstance(error, smtplib.SMTPResponseException):
        return reply_text(error.smtp_code, error.smtp_error)
    # smtplib reports a timeout while reading a reply as a disconnection.
    if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
        return f"Timed out after {settings.SMTP_TIMEOUT:g} s waiting for the server"
    text = str(error) or error.__class__.__name__
    return f"{error.__class__.__name__}: {text}"


def explain(error: BaseException, config: "SmtpSettings") -> str:
    """`describe` for the person whose server it is: what went wrong and what to check,
    in the active language, with the server's own reply when it gave one but never a
    Python exception's text."""
    where = {"host": config.host, "port": config.port, "seconds": f"{config.timeout:g}"}
    if isinstance(error, socket.gaierror):
        if error.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
            return gettext("There is no server named %(host)s: check the spelling.") % where
        return (
            gettext("The name %(host)s could not be looked up just now: try again later.") % where
        )
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            gettext(
                "The certificate of %(host)s cannot be trusted (self-signed, expired or issued "
                "for another name)."
            )
            % where
        )
    if isinstance(error, ssl.SSLError):
        return (
            gettext(
                "The secure connection to %(host)s:%(port)s failed: check the security setting "
                "(SSL/TLS is usually on port 465, STARTTLS on 587)."
            )
            % where
        )
    if isinstance(error, smtplib.SMTPResponseException):
        reply = {"reply": reply_text(error.smtp_code, error.smtp_error)}
        if error.smtp_code in AUTH_CODES:
            return _login_refused(reply["reply"])
        return gettext("The server refused to go on. It answered: %(reply)s") % reply
    if isinstance(error, ConnectionRefusedError):
        return (
            gettext(
                "%(host)s refused the connection on port %(port)s: no mail server listens "
                "there. Check the port."
            )
            % where
        )
    if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
        return (
            gettext(
                "%(host)s:%(port)s did not answer within %(seconds)s seconds: check the host, "
                "the port and the security setting (port 465 usually needs SSL/TLS)."
            )
            % where
        )
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return (
            gettext(
                "%(host)s:%(port)s closed the connection: check the port and the security setting."
            )
            % where
        )
    if isinstance(error, smtplib.SMTPException | UnicodeError):
        # No AUTH offered, no method smtplib speaks, a login that is not ASCII.
        return (
            gettext(
                "%(host)s offers no login we can use with this user name and password: check "
                "the security setting (many servers allow a login only after STARTTLS)."
            )
            % where
        )
    return gettext("%(host)s:%(port)s cannot be reached from our server.") % where


def _login_refused(reply: str) -> str:
    return gettext(
        "The server refused the user name or password, or needs them. It answered: %(reply)s"
    ) % {"reply": reply}


def reply_text(code: int, message: bytes | str) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    message = " ".join(message.split())
    return f"{code} {message}" if code != -1 else f"Unreadable reply from the server: {message!r}"


def transport_fingerprint() -> str:
    """Identifies the configured transport without revealing its password."""
    url = settings.EMAIL_URL or f"outbox:{settings.EMAIL_OUTBOX_DIR}"
    return hashlib.sha256(url.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str
    password: str
    use_tls: bool
    use_ssl: bool
    timeout: float
    # A user's own relay: its host may not lead into the platform's private network.
    public_only: bool = False

    @classmethod
    def from_url(
        cls, url: str, *, timeout: float, name: str = "EMAIL_URL", public_only: bool = False
    ) -> "SmtpSettings":
        try:
            config = environ.Env.email_url_config(url)
        except (ImproperlyConfigured, ValueError, TypeError) as error:
            raise SendingPaused("config", f"{name} is not valid: {error}") from error
        if config.get("EMAIL_BACKEND") != "django.core.mail.backends.smtp.EmailBackend":
            raise SendingPaused(
                "config", f"{name} must start with smtp://, smtp+tls:// or smtp+ssl://"
            )
        if not config.get("EMAIL_HOST"):
            raise SendingPaused("config", f"{name} has no host name")
        use_ssl = bool(config.get("EMAIL_USE_SSL"))
        use_tls = bool(config.get("EMAIL_USE_TLS"))
        default_port = 465 if use_ssl else 587 if use_tls else 25
        return cls(
            host=config["EMAIL_HOST"],
            port=config.get("EMAIL_PORT") or default_port,
            username=config.get("EMAIL_HOST_USER") or "",
            password=config.get("EMAIL_HOST_PASSWORD") or "",
            use_tls=use_tls,
            use_ssl=use_ssl,
            timeout=timeout,
            public_only=public_only,
        )


def relay_addresses(config: "SmtpSettings") -> list[str]:
    """The addresses a user's relay is connected to, resolved once and checked: the
    connection goes to exactly these, so a name cannot resolve to a public address for
    the check and to a private one for the connection (DNS rebinding).

    A user's relay must be on the internet: an address of this machine or its private
    network would let any user talk to the platform's own services (RELAY_ALLOW_PRIVATE
    lifts this, for a relay on the same network)."""
    host = config.host
    try:
        found = socket.getaddrinfo(host, config.port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as error:
        raise AddressUnusable("config", describe(error), explain(error, config)) from error
    addresses = [info[4][0] for info in found]
    if not settings.RELAY_ALLOW_PRIVATE:
        for address in addresses:
            if not address_is_public(address):
                where = {"host": host, "address": address}
                raise AddressUnusable(
                    "config",
                    f"{host} is a private or local address ({address}): not allowed for a relay",
                    gettext(
                        "%(host)s is a private or local address (%(address)s): your relay "
                        "must be a server on the internet."
                    )
                    % where,
                )
    return addresses


class _PinnedSocket:
    """Connects to the addresses given, not to what the host name resolves to now; the
    name is still what TLS checks the certificate against (smtplib keeps it as _host)."""

    addresses: list[str]

    def _get_socket(self, host, port, timeout):
        error: OSError | None = None
        for address in self.addresses:
            try:
                return super()._get_socket(address, port, timeout)
            except ssl.SSLCertVerificationError:
                raise
            except OSError as failure:
                error = failure
        raise error or OSError(f"{host} has no address")


class _PinnedSMTP(_PinnedSocket, smtplib.SMTP):
    def __init__(self, host: str, port: int, *, addresses: list[str], **kwargs):
        self.addresses = addresses
        super().__init__(host, port, **kwargs)


class _PinnedSMTPSSL(_PinnedSocket, smtplib.SMTP_SSL):
    def __init__(self, host: str, port: int, *, addresses: list[str], **kwargs):
        self.addresses = addresses
        super().__init__(host, port, **kwargs)


def _connect(config: "SmtpSettings") -> smtplib.SMTP:
    """smtplib applies the timeout to connecting and to every later read and write; a
    greeting other than 220 raises SMTPConnectError."""
    options: dict = {"timeout": config.timeout}
    if config.use_ssl:
        options["context"] = _tls_context()
    if config.public_only:
        options["addresses"] = relay_addresses(config)
        cls = _PinnedSMTPSSL if config.use_ssl else _PinnedSMTP
    else:
        cls = smtplib.SMTP_SSL if config.use_ssl else smtplib.SMTP
    return cls(config.host, config.port, **options)


def _tls_context() -> ssl.SSLContext:
    # A private CA (a self-hosted relay) may be trusted with EMAIL_SSL_CAFILE.
    return ssl.create_default_context(cafile=getattr(settings, "EMAIL_SSL_CAFILE", None) or None)


def _payload(data: bytes) -> bytes:
    """The DATA section: CRLF line ends, leading dots doubled, the final dot line."""
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class _Broken(Exception):
    def __init__(self, reply: str):
        self.reply = reply


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        smtp.close()


@runtime_checkable
class Transport(Protocol):
    """What the engine sends through: SmtpTransport, or OutboxTransport in development.

    `send` sorts every reply into an Outcome; a failure before any message could be
    handed over raises ConnectionFailed, one the operator must fix SendingPaused.
    """

    def ensure_open(self) -> None: ...

    def send(self, *, envelope_from: str, envelope_to: str, data: bytes) -> Outcome: ...

    def abort(self) -> None: ...

    def close(self) -> None: ...


class SmtpTransport:
    """One SMTP connection, opened on demand and reused until it breaks or is closed."""

    def __init__(self, config: SmtpSettings):
        self.config = config
        self.smtp: smtplib.SMTP | None = None
        self.mail_options: list[str] = []
        self.dialogues = 0  # messages handed over (or refused) on this connection
        self.pipelining = False  # the server takes MAIL, RCPT and DATA at once (RFC 2920)
        self.unread = 0  # replies to pipelined commands not read yet

    def ensure_open(self) -> None:
        if self.smtp is not None:
            return
        config = self.config
        smtp = None
        try:
            smtp = _connect(config)
            code, message = smtp.ehlo()
            if code != 250:
                code, message = smtp.helo()
                if code != 250:
                    raise smtplib.SMTPConnectError(code, message)
            if config.use_tls:
                if not smtp.has_extn("starttls"):
                    raise SendingPaused(
                        "config",
                        "The server does not offer STARTTLS",
                        gettext(
                            "%(host)s does not offer STARTTLS on port %(port)s: choose SSL/TLS "
                            "(usually port 465) or another port."
                        )
                        % {"host": config.host, "port": config.port},
                    )
                smtp.starttls(context=_tls_context())
                smtp.ehlo()
            if config.username:
                try:
                    smtp.login(config.username, config.password)
                except smtplib.SMTPResponseException:
                    raise
                except (smtplib.SMTPException, UnicodeError) as error:
                    # "No suitable authentication method" and the like: fix the config.
                    raise SendingPaused("auth", describe(error), explain(error, config)) from error
        except smtplib.SMTPAuthenticationError as error:
            _close(smtp)
            raise SendingPaused("auth", describe(error), explain(error, config)) from error
        except smtplib.SMTPNotSupportedError as error:
            _close(smtp)
            raise SendingPaused(
                "config", f"The server does not support login: {error}", explain(error, config)
            ) from error
        except smtplib.SMTPConnectError as error:
            _close(smtp)
            raise ConnectionFailed(describe(error), explain(error, config)) from error
        except (ssl.SSLCertVerificationError, socket.gaierror) as error:
            # A name that does not resolve, or a certificate for another name: EMAIL_URL
            # is wrong, and trying again will not help.
            _close(smtp)
            raise SendingPaused("config", describe(error), explain(error, config)) from error
        except smtplib.SMTPException as error:
            _close(smtp)
            if isinstance(error, smtplib.SMTPResponseException) and error.smtp_code in AUTH_CODES:
                raise SendingPaused("auth", describe(error), explain(error, config)) from error
            raise ConnectionFailed(describe(error), explain(error, config)) from error
        except (ConnectionFailed, SendingPaused):
            _close(smtp)
            raise
        except OSError as error:
            _close(smtp)
            raise ConnectionFailed(describe(error), explain(error, config)) from error
        self.smtp = smtp
        self.mail_options = ["BODY=8BITMIME"] if smtp.has_extn("8bitmime") else []
        self.pipelining = smtp.has_extn("pipelining")
        self.dialogues = self.unread = 0

    def _command(self, send) -> tuple[int, str]:
        """Run one step; any transport trouble or an unreadable reply means a broken link."""
        try:
            code, message = send()
        except (OSError, smtplib.SMTPException) as error:
            raise _Broken(describe(error)) from error
        reply = reply_text(code, message)
        if code == -1 or code == CLOSING:
            raise _Broken(reply)
        return code, reply

    def _refused(self, code: int, reply: str, stage: str) -> Outcome:
        """A 4xx/5xx before the content went out: nothing was delivered."""
        if code in AUTH_CODES:
            self.close()
            raise SendingPaused("auth", reply, _login_refused(reply))
        try:
            # The server answers the pipelined commands after a refused one as well.
            for _ in range(self.unread):
                self.unread -= 1
                if self.smtp.getreply()[0] == 354:
                    # It waits for the content of a message it refused: no safe way on.
                    raise smtplib.SMTPException("DATA accepted after a refused envelope")
            self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.abort()
        return Outcome(RETRY if code < 500 else FAILED, reply, stage=stage)

    def _mail(self, envelope_from: str, envelope_to: str) -> tuple[int, str]:
        """MAIL FROM (with PIPELINING, RCPT TO and DATA in the same packet) and its reply.

        A server may close a connection it found idle (with or without a 421): on a
        connection that has served before, that is no failure of ours and nothing was
        handed over, so the command is tried once more on a fresh one."""
        try:
            return self._command(lambda: self._start(envelope_from, envelope_to))
        except _Broken:
            if not self.dialogues:
                raise
        self.abort()
        self.ensure_open()  # ConnectionFailed or SendingPaused go to the caller
        return self._command(lambda: self._start(envelope_from, envelope_to))

    def _start(self, envelope_from: str, envelope_to: str) -> tuple[int, bytes]:
        smtp = self.smtp
        if not self.pipelining:
            return smtp.mail(envelope_from, self.mail_options)
        options = "".join(f" {option}" for option in self.mail_options)
        smtp.send(
            f"MAIL FROM:{smtplib.quoteaddr(envelope_from)}{options}\r\n"
            f"RCPT TO:{smtplib.quoteaddr(envelope_to)}\r\nDATA\r\n"
        )
        self.unread = 3
        return self._reply()

    def _reply(self) -> tuple[int, bytes]:
        self.unread -= 1
        return self.smtp.getreply()

    def send(self, *, envelope_from: str, envelope_to: str, data: bytes) -> Outcome:
        """Hand one message to the server. Call ensure_open() first."""
        try:
            code, reply = self._mail(envelope_from, envelope_to)
            smtp = self.smtp
            self.dialogues += 1
            if code != 250:
                return self._refused(code, reply, MAIL)
            if self.pipelining:
                code, reply = self._command(self._reply)
            else:
                code, reply = self._command(lambda: smtp.rcpt(envelope_to))
            if code not in (250, 251, 252):
                return self._refused(code, reply, RCPT)
            if self.pipelining:
                code, reply = self._command(self._reply)
            else:
                code, reply = self._command(lambda: (smtp.putcmd("data"), smtp.getreply())[1])
            if code != 354:
                return self._refused(code, reply, DATA)
        except _Broken as broken:
            self.abort()
            return Outcome(RETRY, broken.reply, broken=True)
        # From here on the message is in the server's hands, as far as we can know.
        try:
            code, reply = self._command(lambda: (smtp.send(_payload(data)), smtp.getreply())[1])
        except _Broken as broken:
            self.abort()
            return Outcome(UNKNOWN, broken.reply, broken=True, stage=CONTENT)
        if 200 <= code < 300:
            return Outcome(SENT, reply, stage=CONTENT)
        if code in AUTH_CODES:
            self.close()
            raise SendingPaused("auth", reply, _login_refused(reply))
        return Outcome(RETRY if code < 500 else FAILED, reply, stage=CONTENT)

    def abort(self) -> None:
        """Drop a connection that can no longer be trusted, without a QUIT."""
        if self.smtp is not None:
            try:
                self.smtp.close()
            finally:
                self.smtp = None

    def close(self) -> None:
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
        finally:
            self.abort()


class OutboxTransport:
    """No EMAIL_URL: every message becomes an .eml file in var/outbox/ (development)."""

    def ensure_open(self) -> None:
        pass

    def send(self, *, envelope_from: str, envelope_to: str, data: bytes) -> Outcome:
        try:
            path = write_eml(data)
        except OSError as error:
            # This machine's trouble (disk full, permission denied), not a mail server's:
            # nothing was handed over, and every following message would fail the same.
            reason = error.strerror or describe(error)
            raise SendingPaused(
                "local",
                f"The outbox folder {settings.EMAIL_OUTBOX_DIR} cannot be written: {reason}",
            ) from error
        return Outcome(SENT, f"250 Written to {path.name}")

    def abort(self) -> None:
        pass

    def close(self) -> None:
        pass


def transport_from_settings() -> Transport:
    """The configured transport; raises SendingPaused when EMAIL_URL cannot be used."""
    if not settings.EMAIL_URL:
        return OutboxTransport()
    return SmtpTransport(SmtpSettings.from_url(settings.EMAIL_URL, timeout=settings.SMTP_TIMEOUT))


class RateLimiter:
    """At most `rate` messages a second from this process (0 or less: no limit): each
    caller books the next free slot (sending.rates shares one schedule between workers).
    """

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self.next_at = 0.0
        self.lock = threading.Lock()

    def next_slot(self) -> float:
        """The time.monotonic() at which the next message may go (0: at once)."""
        if not self.interval:
            return 0.0
        with self.lock:
            start = max(time.monotonic(), self.next_at)
            self.next_at = start + self.interval
        return start


class Breaker:
    """Opens after `threshold` connection failures in a row, counted across all the
    connections of a worker; any good reply resets it."""

    def __init__(self, threshold: int):
        self.threshold = max(1, threshold)
        self.failures = 0
        self.last_error = ""
        self.last_message = ""  # the last failure told to a user (ConnectionFailed.message)
        self.lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return self.failures >= self.threshold

    def failure(self, reply: str, message: str = "") -> None:
        with self.lock:
            self.failures += 1
            self.last_error = reply
            self.last_message = message or reply

    def success(self) -> None:
        with self.lock:
            self.failures = 0
