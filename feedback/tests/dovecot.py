"""A real Dovecot (Debian's dovecot-imapd and dovecot-pop3d) on loopback for the tests:
a minimal configuration in a temporary folder, one passwd-file user, a Maildir."""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from conftest import service_unavailable
from sending.tests.smtpd import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "bounces", "s3cret"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = 1
{users}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"""


class Dovecot:
    def __init__(self):
        # Not pytest's tmp_path: its parents are private to us, and the mail user
        # (nobody, when the tests run as root) must reach its home.
        self.root = Path(tempfile.mkdtemp(prefix="rassylka-dovecot-"))
        self.root.chmod(0o755)
        self.imap_port, self.pop3_port = free_port(), free_port()
        self.process: subprocess.Popen | None = None

    def url(self, scheme: str = "imap") -> str:
        port = self.imap_port if scheme.startswith("imap") else self.pop3_port
        path = "/INBOX" if scheme.startswith("imap") else ""
        return f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{port}{path}"

    def start(self) -> "Dovecot":
        if not os.path.exists(DOVECOT) or not os.path.exists("/usr/lib/dovecot/pop3"):
            service_unavailable(
                "Dovecot is not installed (apt-get install dovecot-imapd dovecot-pop3d)"
            )
        root = self.root
        for folder in ("run", "state", "home"):
            (root / folder).mkdir()
        if os.getuid() == 0:
            # Root may not read mail as root: the mailbox belongs to nobody.
            account = pwd.getpwnam("nobody")
            shutil.chown(root / "home", account.pw_uid, account.pw_gid)
            users = ""
        else:
            account = pwd.getpwuid(os.getuid())
            name = account.pw_name
            users = f"default_internal_user = {name}\ndefault_login_user = {name}\n"
        (root / "users").write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}:{account.pw_uid}:{account.pw_gid}::{root}/home\n"
        )
        config = root / "dovecot.conf"
        config.write_text(
            CONFIG.format(
                root=root, users=users, imap_port=self.imap_port, pop3_port=self.pop3_port
            )
        )
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.imap_port), timeout=1).close()
                socket.create_connection(("127.0.0.1", self.pop3_port), timeout=1).close()
                return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
        raise RuntimeError(f"Dovecot did not start: {log}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)
