"""A real DNS server on loopback for the tests: Debian's dnsmasq serving a test zone.

Everything under `.test` is answered from the given TXT records alone (unknown names
are NXDOMAIN), so the domain checks and DKIM verification run against real DNS.
"""

import shutil
import socket
import subprocess
import time

import dns.exception
import dns.resolver

from conftest import service_unavailable

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
TXT_STRING_MAX = 255


def free_udp_port() -> int:
    """A port free for UDP and TCP both: dnsmasq listens on the two."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket() as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port


class PortTaken(Exception):
    pass


class DnsServer:
    def __init__(self, records: dict[str, list[str]]):
        self.records = records
        self.port = free_udp_port()
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _arguments(self) -> list[str]:
        arguments = [
            DNSMASQ,
            "--no-daemon",
            f"--port={self.port}",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--no-resolv",
            "--no-hosts",
            "--conf-file=/dev/null",
            "--pid-file=",
            "--local=/test/",
        ]
        for name, texts in self.records.items():
            for text in texts:
                # One TXT record of several strings, each at most 255 bytes (RFC 1035).
                chunks = [text[i : i + TXT_STRING_MAX] for i in range(0, len(text), TXT_STRING_MAX)]
                arguments.append(f"--txt-record={name}," + ",".join(chunks))
        return arguments

    def start(self) -> "DnsServer":
        # Another process may take the port between our check and dnsmasq's bind.
        for _attempt in range(5):
            try:
                return self._start()
            except PortTaken:
                self.port = free_udp_port()
        raise RuntimeError("dnsmasq found no free port in 5 attempts")

    def _start(self) -> "DnsServer":
        self.process = subprocess.Popen(
            self._arguments(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers, resolver.port = ["127.0.0.1"], self.port
        # A query sent before dnsmasq binds is lost, not refused: ask again soon rather
        # than wait out a long timeout (each test starts its own server).
        resolver.lifetime = 0.05
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode()
                self.process.stderr.close()
                if "in use" in error:
                    raise PortTaken(error)
                raise RuntimeError(f"dnsmasq stopped: {error}")
            try:
                resolver.resolve("ready.probe.test", "TXT")
            except dns.resolver.NXDOMAIN:
                return self
            except dns.exception.DNSException:
                time.sleep(0.05)
        raise RuntimeError("dnsmasq did not answer within 10 seconds")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=5)
            self.process.stderr.close()


def require_dnsmasq() -> None:
    if not shutil.which(DNSMASQ):
        service_unavailable(f"dnsmasq is not installed at {DNSMASQ} (apt-get install dnsmasq-base)")


class SilentServer:
    """A UDP port that takes queries and never answers: a resolver that times out."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()
