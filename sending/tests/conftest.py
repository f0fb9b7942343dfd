import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from conftest import require_tcp

from .processes import django_env, manage
from .smtpd import SmtpServer

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# Small enough to keep the suite fast, large enough for a loaded machine.
TEST_SMTP_TIMEOUT = 0.5


@pytest.fixture(autouse=True)
def _sending_settings(settings, tmp_path):
    settings.SEND_RATE = 0
    settings.SMTP_TIMEOUT = TEST_SMTP_TIMEOUT
    settings.SEND_RETRY_BACKOFF = 0.3
    settings.SEND_RETRY_BACKOFF_MAX = 1.0
    settings.SEND_BREAKER_COOLDOWN = 0.5
    settings.SEND_PAUSE_RECHECK = 60
    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"
    settings.EMAIL_URL = ""


@pytest.fixture
def smtp_server(settings):
    server = SmtpServer().start()
    settings.EMAIL_URL = server.url
    yield server
    server.stop()


@pytest.fixture
def postgres_database():
    """A scratch PostgreSQL database, migrated, whatever database the suite runs on."""
    require_tcp(POSTGRES_URL, "PostgreSQL")
    import psycopg

    name = f"rassylka_sched_{uuid.uuid4().hex[:8]}"
    parts = urlsplit(POSTGRES_URL)
    url = urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        migrate = manage("migrate", "--noinput", env=django_env(DATABASE_URL=url))
        _out, err = migrate.communicate(timeout=120)
        assert migrate.returncode == 0, err
        yield url
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
