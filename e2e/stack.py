"""Rassylka as it runs in production, as separate processes on this machine: gunicorn,
Celery workers and beat on PostgreSQL and Redis (or RabbitMQ), sending to a real SMTP
server. Used by the end-to-end tests and by the load test.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from email import message_from_bytes
from email.utils import getaddresses
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
POSTGRES_ADMIN_URL = os.environ.get("E2E_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("E2E_REDIS_URL", "redis://127.0.0.1:6379")
HEALTHZ_TOKEN = "e2e-monitor-token"
RABBITMQ_URL = os.environ.get("E2E_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


def text_of(message) -> str:
    """The plain-text body of a received message (the text/plain part of a multipart one),
    decoded from its transfer encoding and charset."""
    part = next((p for p in message.walk() if p.get_content_type() == "text/plain"), message)
    payload = part.get_payload(decode=True) or b""
    return payload.decode(part.get_content_charset() or "utf-8", errors="replace")


class Stack:
    def __init__(
        self,
        workdir: Path,
        *,
        broker: str = "redis",
        database: str = "rassylka_e2e",
        redis_db: int = 5,
        extra_env: dict | None = None,
    ):
        self.workdir = workdir
        self.web_port = free_port()
        self.smtp_port = free_port()
        self.sink_dir = workdir / "sink"
        self.database = database
        self.processes: dict[str, subprocess.Popen] = {}
        broker_url = RABBITMQ_URL if broker == "rabbitmq" else f"{REDIS_URL}/{redis_db + 1}"
        self.env = {
            **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")},
            "ENV_FILE": os.devnull,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "e2e-secret-key-not-for-production-0123456789abcdefghijklmnop",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": f"http://127.0.0.1:{self.web_port}",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "DATABASE_URL": f"{POSTGRES_ADMIN_URL}/{database}",
            "CACHE_URL": f"{REDIS_URL}/{redis_db}",
            "CELERY_BROKER_URL": broker_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp_port}",
            "DEFAULT_FROM_EMAIL": "Rassylka <news@rassylka.test>",
            "VAR_DIR": str(workdir / "var"),
            "LOG_FORMAT": "line",
            # The monitor's token: /healthz gives it the details it keeps from visitors.
            "HEALTHZ_TOKEN": HEALTHZ_TOKEN,
            **(extra_env or {}),
        }

    # -- set-up ----------------------------------------------------------------------
    def prepare(self) -> None:
        """A fresh database, empty Redis databases and queues, static files."""
        import psycopg

        with psycopg.connect(f"{POSTGRES_ADMIN_URL}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.database}"')
        import redis

        for url in (self.env["CACHE_URL"], self.env["CELERY_BROKER_URL"]):
            if url.startswith("redis"):
                redis.Redis.from_url(url).flushdb()
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput")
        if self.env["CELERY_BROKER_URL"].startswith("amqp"):
            self.run([str(BIN / "celery"), "-A", "config", "purge", "-f"])

    def run(self, argv: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
        result = subprocess.run(
            argv, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def manage(self, *args: str, timeout: float = 300) -> str:
        return self.run([PYTHON, "manage.py", *args], timeout=timeout).stdout

    def start(self, name: str, argv: list[str], **env) -> subprocess.Popen:
        log = (self.workdir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def start_sink(self, *, hang: bool = False, delay: float = 0.0) -> None:
        argv = [PYTHON, "-m", "e2e.smtp_sink", "--port", str(self.smtp_port)]
        argv += ["--hang"] if hang else ["--dir", str(self.sink_dir), "--delay", str(delay)]
        self.start("sink", argv)
        wait_for_port(self.smtp_port)

    def start_web(self, workers: int = 3) -> None:
        self.start(
            "web",
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "--config",
                "deploy/gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                str(workers),
            ],
        )
        wait_for_port(self.web_port)

    def start_worker(self, name: str, concurrency: int = 1) -> subprocess.Popen:
        return self.start(
            name,
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "--hostname",
                f"{name}@%h",
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
        )

    def start_beat(self) -> None:
        self.start(
            "beat",
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(self.workdir / "celerybeat-schedule"),
            ],
        )

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Kill a process and its children (a Celery worker forks its pool)."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop(self) -> None:
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM)

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- what the sink received --------------------------------------------------------
    def received(self) -> list:
        if not self.sink_dir.exists():
            return []
        return [message_from_bytes(p.read_bytes()) for p in sorted(self.sink_dir.glob("*.eml"))]

    def received_count(self) -> int:
        return len(list(self.sink_dir.glob("*.eml"))) if self.sink_dir.exists() else 0

    def recipients(self) -> list[str]:
        return [addr.lower() for m in self.received() for _, addr in getaddresses([m["To"]])]

    def confirmation_link(self, email: str, timeout: float = 30) -> str:
        """The address-confirmation link (absolute, as written) in the email sent to email."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.received():
                if email in message["To"]:
                    found = re.search(
                        r"https?://\S+/accounts/confirm-email/[^\s/]+/", text_of(message)
                    )
                    if found:
                        return found.group(0)
            time.sleep(0.2)
        raise AssertionError(f"no confirmation email to {email} reached the sink in {timeout} s")

    # -- the web, as a browser would use it ----------------------------------------------
    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.web_port}{path}"

    def browser_session(self) -> WebSession:
        return WebSession(self)

    def health(self) -> dict:
        """/healthz as a monitor holding HEALTHZ_TOKEN reads it: every part's details."""
        headers = {"Authorization": f"Bearer {HEALTHZ_TOKEN}"}
        return requests.get(self.url("/healthz"), headers=headers, timeout=30).json()


class WebSession:
    """A requests session that handles Django's CSRF token like a browser does."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.http = requests.Session()

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.stack.url(path), timeout=30, **kwargs)

    def submit(self, path: str, data: dict | list, *, files=None, form_path: str | None = None):
        self.get(form_path or path)
        token = self.http.cookies["csrftoken"]
        if isinstance(data, dict):
            data = list(data.items())
        return self.http.post(
            self.stack.url(path),
            data=[*data, ("csrfmiddlewaretoken", token)],
            files=files,
            headers={"Referer": self.stack.url(form_path or path)},
            timeout=120,
        )

    def sign_up_and_log_in(self, email: str, password: str) -> None:
        """The real journey: sign up, confirm from the email in the sink, log in."""
        self.submit(
            "/accounts/signup/", {"email": email, "password1": password, "password2": password}
        )
        link = urlsplit(self.stack.confirmation_link(email)).path
        self.submit(link, {})
        response = self.submit("/accounts/login/", {"login": email, "password": password})
        if "sessionid" not in self.http.cookies:
            raise AssertionError(f"login failed: {response.status_code} {response.url}")
