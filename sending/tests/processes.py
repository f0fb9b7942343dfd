"""Running the real commands in other processes, on the test database."""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The URL of the database the tests use right now (the test database)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def django_env(**overrides) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
        "EMAIL_URL": settings.EMAIL_URL,
        "SMTP_TIMEOUT": str(settings.SMTP_TIMEOUT),
        "SEND_RATE": "0",
        "SEND_RETRY_BACKOFF": str(settings.SEND_RETRY_BACKOFF),
        "SEND_BREAKER_COOLDOWN": str(settings.SEND_BREAKER_COOLDOWN),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def seed_mailing(count: int, *, env: dict) -> int:
    """A due mailing to `count` clients, made in the database `env` points at; its id."""
    seed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from mailings.tests.factories import mailing_to; "
            f"print(mailing_to({count}).pk)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert seed.returncode == 0, seed.stderr
    return int(seed.stdout.strip().splitlines()[-1])


def manage(*args: str, env: dict | None = None, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env or django_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def wait_for(condition, *, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
