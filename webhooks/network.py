"""One signed POST to a user's URL, never to this machine or its private network.

The address is resolved once, checked, and connected to directly (the name is still sent
as Host and used for TLS), so a name that resolves to a public address when checked
cannot point somewhere private when connected (DNS rebinding). Redirects are not followed.
"""

import http.client
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from config.addresses import address_is_public

MAX_RESPONSE_BYTES = 4096


class UnsafeAddress(ValueError):
    pass


@dataclass
class Reply:
    status: int
    body: str


def checked_address(url: str) -> tuple[str, int, str]:
    """(hostname, port, ip) for the URL, or UnsafeAddress saying why not."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeAddress(_("Use an http:// or https:// address."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeAddress(_("The port is not a number from 1 to 65535.")) from None
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeAddress(_("This host name does not resolve.")) from None
    addresses = [info[4][0] for info in found]
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            if not address_is_public(address):
                raise UnsafeAddress(
                    _("%(host)s is a private, loopback or link-local address.") % {"host": address}
                )
    return parts.hostname, port, addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, ip, **kwargs):
        super().__init__(host, port, **kwargs)
        self.ip = ip

    def connect(self):
        self.sock = socket.create_connection((self.ip, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, ip, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self.ip = ip

    def connect(self):
        sock = socket.create_connection((self.ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Reply:
    """POST the body; OSError (and UnsafeAddress) when it could not be delivered at all."""
    host, port, ip = checked_address(url)
    parts = urlsplit(url)
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, ip, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={**headers, "Content-Type": "application/json", "User-Agent": "Rassylka"},
        )
        response = connection.getresponse()
        text = response.read(MAX_RESPONSE_BYTES).decode("utf-8", "replace")
        return Reply(status=response.status, body=text)
    except http.client.HTTPException as error:
        raise OSError(f"Bad HTTP response: {error!r}") from error
    finally:
        connection.close()
