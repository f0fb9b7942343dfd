import pytest
from django.utils import translation

from .dns_server import DnsServer, SilentServer, require_dnsmasq


@pytest.fixture
def dns_server(settings):
    """Start dnsmasq serving `{name: [txt, ...]}` and point DNS_RESOLVER at it."""
    require_dnsmasq()
    servers = []

    def serve(records: dict[str, list[str]]) -> DnsServer:
        server = DnsServer(records).start()
        servers.append(server)
        settings.DNS_RESOLVER = server.address
        return server

    yield serve
    for server in servers:
        server.stop()


@pytest.fixture
def silent_dns(settings):
    server = SilentServer()
    settings.DNS_RESOLVER = server.address
    settings.DNS_TIMEOUT = 0.5
    yield server
    server.close()


@pytest.fixture
def english(settings):
    """Messages asserted by their English wording: the interface's default is Russian."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
