"""The one address guard of users' relays and webhooks (config/addresses.py): every form
of a private or local address is refused, including the IPv6 forms that carry an IPv4
address (issue 23: `::127.0.0.1` and NAT64 passed both guards), and a relay is connected
to the address that was checked, not to what its name resolves to a moment later."""

import socket

import pytest

from config.addresses import address_is_public
from sending.tests.smtpd import SmtpServer, self_signed_certificate
from transport import smtp
from transport.smtp import SendingPaused, SmtpSettings, SmtpTransport
from webhooks.network import UnsafeAddress, checked_address

# Forms of this machine's and private networks' addresses.
PRIVATE = [
    "127.0.0.1",
    "10.1.2.3",
    "192.168.0.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "::1",
    "::",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    # IPv4-compatible (deprecated) forms
    "::127.0.0.1",
    "::10.0.0.1",
    "::169.254.169.254",
    # IPv4-mapped
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    # NAT64, the well-known prefix and the local-use one
    "64:ff9b::127.0.0.1",
    "64:ff9b::10.0.0.1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::8.8.8.8",
    "64:ff9b:1:ffff::a00:1",
    # 6to4 around a private IPv4 address
    "2002:7f00:1::1",
    "2002:a00:1::",
    "2002:c0a8:1::1",
    # Teredo, documentation
    "2001::1",
    "2001:db8::1",
    "not an address",
]
PUBLIC = [
    "8.8.8.8",
    "93.184.215.14",
    "2a00:1450:4001:81c::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
    "2002:808:808::1",
]


@pytest.mark.parametrize("address", PRIVATE)
def test_private_forms_are_not_public(address):
    assert not address_is_public(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are(address):
    assert address_is_public(address)


@pytest.mark.parametrize(
    "address", ["::127.0.0.1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1"]
)
def test_the_webhook_guard_refuses_the_ipv6_forms(address, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(UnsafeAddress):
        checked_address(f"http://[{address}]:8000/hook")


@pytest.mark.parametrize(
    "address", ["::127.0.0.1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1"]
)
def test_the_relay_guard_refuses_the_ipv6_forms(address, settings):
    settings.RELAY_ALLOW_PRIVATE = False
    config = SmtpSettings.from_url(f"smtp://[{address}]:25", timeout=1, public_only=True)
    with pytest.raises(SendingPaused, match="private or local address"):
        SmtpTransport(config).ensure_open()


# DNS rebinding: the name answers a good address to the check and a bad one afterwards.
# 127.0.0.1 plays the public relay here, 127.0.0.2 the private service.


@pytest.fixture
def rebinding(monkeypatch, settings):
    settings.RELAY_ALLOW_PRIVATE = False
    monkeypatch.setattr(smtp, "address_is_public", lambda address: address == "127.0.0.1")
    lookups = []
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if not host.endswith(".test"):
            return real_getaddrinfo(host, port, *args, **kwargs)
        ip = "127.0.0.2" if host in lookups else "127.0.0.1"
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed_certificate(
        tmp_path_factory.mktemp("tls"), common_name="relay.test", alt_name="DNS:relay.test"
    )


def _opened(url: str) -> SmtpTransport:
    transport = SmtpTransport(SmtpSettings.from_url(url, timeout=2, public_only=True))
    transport.ensure_open()
    return transport


def test_a_relay_is_connected_to_the_address_it_was_checked_at(rebinding):
    server = SmtpServer().start()
    try:
        transport = _opened(f"smtp://relay.test:{server.port}")
        assert transport.smtp.sock.getpeername()[0] == "127.0.0.1"
        transport.close()
    finally:
        server.stop()
    assert rebinding == ["relay.test"]  # resolved once


@pytest.mark.parametrize("scheme", ["smtp+ssl", "smtp+tls"])
def test_tls_still_checks_the_certificate_against_the_name(
    rebinding, certificate, settings, scheme
):
    cert, context = certificate
    settings.EMAIL_SSL_CAFILE = str(cert)
    tls = {"ssl_context": context} if scheme == "smtp+ssl" else {"tls_context": context}
    server = SmtpServer(**tls).start()
    try:
        transport = _opened(f"{scheme}://relay.test:{server.port}")
        assert transport.smtp.sock.getpeername()[0] == "127.0.0.1"
        assert transport.smtp.sock.server_hostname == "relay.test"
        transport.close()
        # The certificate is still checked against the name, not the address.
        with pytest.raises(SendingPaused, match="CERTIFICATE_VERIFY_FAILED"):
            _opened(f"{scheme}://other.test:{server.port}")
    finally:
        server.stop()
    assert rebinding == ["relay.test", "other.test"]
