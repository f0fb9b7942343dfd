"""A real Postfix (Debian's postfix) on loopback for the tests: a private instance with
its own configuration and queue in a temporary folder, listening on a free port.

It is the mail server a mailing goes through and the one the bounce comes back from:
mail for RECIPIENT_DOMAIN is delivered by Postfix's virtual(8) agent into Maildirs, and
an unknown address there is accepted first and bounced afterwards (as a remote MX that
checks mailboxes only at delivery does), so Postfix writes a real DSN (RFC 3464) to the
return path. The return paths of BOUNCE_DOMAIN go into the Maildir that the Dovecot
fixture serves over IMAP: the bounce mailbox. Return paths of UNKNOWN_SENDER_DOMAIN are
refused, as a relay refuses a sender domain it cannot resolve.
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from conftest import service_unavailable
from sending.tests.smtpd import free_port

from .dovecot import Dovecot

POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"
DAEMONS = "/usr/lib/postfix/sbin"
BOUNCE_DOMAIN = "bounces.test"
RECIPIENT_DOMAIN = "example.org"
# Return paths of this domain are refused as a sender domain that does not resolve.
UNKNOWN_SENDER_DOMAIN = "unresolvable.test"
# The mailbox owner of every Maildir (virtual_uid_maps): Dovecot reads them as nobody.
NOBODY = 65534

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
maillog_file_prefixes = {root}
maillog_file = {root}/postfix.log
myhostname = mail.test
myorigin = mail.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
smtputf8_enable = no
# Accept any address of the virtual domains and find out at delivery: an unknown one
# then bounces with a DSN instead of a 550 at RCPT TO.
smtpd_reject_unlisted_recipient = no
virtual_mailbox_domains = {bounce_domain}, {recipient_domain}
virtual_mailbox_base = /
virtual_mailbox_maps = regexp:{root}/mailboxes
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{uid}
# What reject_unknown_sender_domain answers, for the return paths of a domain the tests
# call unknown (they have no DNS). Postfix answers it at RCPT TO (smtpd_delay_reject).
smtpd_sender_restrictions = check_sender_access regexp:{root}/senders
"""

# The services a private instance needs, none chrooted (the queue folder has no copy of
# /etc), smtpd only on the test's own port.
MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


class Postfix:
    def __init__(self, dovecot: Dovecot, *, known: list[str]):
        """`known`: the local parts of RECIPIENT_DOMAIN that have a mailbox; every other
        address there bounces."""
        # Not pytest's tmp_path: the postfix user and nobody must reach the folders.
        self.root = Path(tempfile.mkdtemp(prefix="rassylka-postfix-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.bounce_maildir = dovecot.root / "home" / "Maildir"
        self.known = known
        self.started = False

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def maildir(self, local_part: str) -> Path:
        return self.root / "mail" / local_part / "Maildir"

    def delivered(self, local_part: str) -> list[Path]:
        """The messages Postfix delivered to local_part@RECIPIENT_DOMAIN."""
        new = self.maildir(local_part) / "new"
        return sorted(new.iterdir()) if new.exists() else []

    def log(self) -> str:
        path = self.root / "postfix.log"
        return path.read_text() if path.exists() else ""

    def _postfix(self, command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [POSTFIX, "-c", str(self.root), command],
            capture_output=True,
            text=True,
            timeout=60,
        )

    def start(self) -> "Postfix":
        if not os.path.exists(POSTFIX) or not os.path.exists(f"{DAEMONS}/virtual"):
            service_unavailable("Postfix is not installed (apt-get install postfix)")
        if os.getuid() != 0:
            # The master daemon binds its port and switches to the postfix user itself.
            service_unavailable("A private Postfix instance needs root; these tests are not")
        root = self.root
        (root / "queue").mkdir()
        (root / "data").mkdir()
        shutil.chown(root / "data", "postfix")
        (root / "mail").mkdir()
        shutil.chown(root / "mail", NOBODY, NOBODY)
        (root / "main.cf").write_text(
            MAIN_CF.format(
                root=root,
                bounce_domain=BOUNCE_DOMAIN,
                recipient_domain=RECIPIENT_DOMAIN,
                uid=NOBODY,
            )
        )
        (root / "master.cf").write_text(MASTER_CF.format(port=self.port))
        # Every return path of BOUNCE_DOMAIN into the bounce mailbox, each known
        # address into its own Maildir (a trailing slash means Maildir).
        lines = [rf"/^bounce\+[^@]*@{re.escape(BOUNCE_DOMAIN)}$/ {self.bounce_maildir}/"]
        lines += [
            rf"/^{re.escape(local)}@{re.escape(RECIPIENT_DOMAIN)}$/ {self.maildir(local)}/"
            for local in self.known
        ]
        (root / "mailboxes").write_text("\n".join(lines) + "\n")
        (root / "senders").write_text(
            rf"/@{re.escape(UNKNOWN_SENDER_DOMAIN)}$/ "
            "550 5.1.8 Sender address rejected: Domain not found\n"
        )
        # `check` creates the queue folders with their owners; `start` waits until the
        # master daemon is up and listening.
        for command in ("check", "start"):
            done = self._postfix(command)
            if done.returncode != 0:
                self.stop()
                raise RuntimeError(
                    f"postfix {command} failed: {done.stdout}{done.stderr}{self.log()}"
                )
        self.started = True
        socket.create_connection(("127.0.0.1", self.port), timeout=10).close()
        return self

    def stop(self) -> None:
        if self.started:
            self._postfix("stop")
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)
