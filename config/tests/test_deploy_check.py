import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "SECRET_KEY": "a-production-key-that-is-long-and-random-enough-0123456789-abcdefgh",
    "ALLOWED_HOSTS": "mail.example.com",
    "SITE_URL": "https://mail.example.com",
}


def run_manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "ENV_FILE": os.devnull, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_the_production_profile_passes_check_deploy_without_warnings(tmp_path):
    result = run_manage("check", "--deploy", env={**PRODUCTION_ENV, "VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


@pytest.mark.slow
def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_manage("check", env={**env, "VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.slow
def test_development_generates_a_key_once_into_var(tmp_path):
    env = {"DEBUG": "true", "VAR_DIR": str(tmp_path)}
    assert run_manage("check", env=env).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert run_manage("check", env=env).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key


@pytest.mark.slow
def test_a_database_that_never_answers_fails_within_the_connect_timeout(tmp_path):
    # A listener that accepts the TCP handshake (the kernel's backlog) but never speaks:
    # without a connect timeout libpq would wait for its greeting forever.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        env = {
            **PRODUCTION_ENV,
            "VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"postgres://nobody@127.0.0.1:{port}/nothing",
            "DATABASE_CONNECT_TIMEOUT": "2",
        }
        started = time.monotonic()
        result = run_manage(
            "shell",
            "-c",
            "from django.db import connection; connection.ensure_connection()",
            env=env,
        )
        elapsed = time.monotonic() - started
    assert result.returncode != 0
    assert "timeout" in result.stderr.lower(), result.stderr[-2000:]
    assert elapsed < 30
