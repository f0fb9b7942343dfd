"""Behind the TLS proxy the login limits count each visitor, not the proxy."""

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# Every request reaches Django from the proxy on the same host.
PROXY = {"REMOTE_ADDR": "127.0.0.1"}


def login(browser: Client, forwarded_for: str, password: str = "wrong"):
    return browser.post(
        "/accounts/login/",
        {"login": "victim@example.com", "password": password},
        HTTP_X_FORWARDED_FOR=forwarded_for,
        **PROXY,
    )


def locked_out(response) -> bool:
    return "too_many_login_attempts" in {
        error.code
        for errors in response.context["form"].errors.as_data().values()
        for error in errors
    }


@override_settings(ACCOUNT_RATE_LIMITS={"login_failed": "3/m/ip"}, ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_one_visitors_bad_logins_do_not_lock_out_the_others():
    UserFactory(email="victim@example.com")
    attacker, visitor = Client(), Client()
    for _ in range(3):
        assert not locked_out(login(attacker, "203.0.113.5"))
    assert locked_out(login(attacker, "203.0.113.5"))
    # What the client writes to the left of the proxy's own entry changes nothing.
    assert locked_out(login(attacker, "10.9.8.7, 203.0.113.5"))

    response = login(visitor, "198.51.100.7", password=PASSWORD)
    assert response.status_code == 302


@override_settings(ACCOUNT_RATE_LIMITS={"login_failed": "3/m/ip"}, ALLAUTH_TRUSTED_PROXY_COUNT=0)
def test_without_a_trusted_proxy_the_header_is_ignored():
    UserFactory(email="victim@example.com")
    attacker = Client()
    for n in range(3):
        login(attacker, f"203.0.113.{n}")
    assert locked_out(login(attacker, "203.0.113.99"))


@override_settings(ACCOUNT_RATE_LIMITS={"login_failed": "3/m/ip"}, ALLAUTH_TRUSTED_PROXY_COUNT=2)
def test_fewer_forwarded_entries_than_proxies_is_no_server_error():
    UserFactory(email="victim@example.com")
    response = login(Client(), "203.0.113.5")
    assert response.status_code == 200


@override_settings(ACCOUNT_RATE_LIMITS={"login_failed": "1/m/ip"}, LANGUAGE_CODE="ru")
def test_a_locked_out_login_says_so_in_russian():
    UserFactory(email="victim@example.com")
    browser = Client()
    login(browser, "")
    body = login(browser, "").content.decode()
    assert "Слишком много неудачных попыток войти в этот аккаунт" in body


@override_settings(ACCOUNT_RATE_LIMITS={"login": "1/m/ip"}, LANGUAGE_CODE="ru")
def test_too_many_requests_get_a_page_that_says_what_to_do():
    browser = Client()
    login(browser, "")
    response = login(browser, "")
    assert response.status_code == 429
    body = response.content.decode()
    assert "Слишком много попыток" in body
    assert 'href="/accounts/login/"' in body and "Rassylka" in body


def settings_value(name: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    result = subprocess.run(
        [sys.executable, "-c", f"from config import settings; print(settings.{name})"],
        cwd=ROOT,
        env={**clean, "ENV_FILE": os.devnull, "SECRET_KEY": "x", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


@pytest.mark.slow
def test_the_proxy_setting_trusts_one_proxy_unless_told_otherwise(tmp_path):
    assert settings_value("ALLAUTH_TRUSTED_PROXY_COUNT", VAR_DIR=str(tmp_path)) == "0"
    behind = {"VAR_DIR": str(tmp_path), "BEHIND_TLS_PROXY": "true"}
    assert settings_value("ALLAUTH_TRUSTED_PROXY_COUNT", **behind) == "1"
    assert settings_value("ALLAUTH_TRUSTED_PROXY_COUNT", TRUSTED_PROXY_COUNT="2", **behind) == "2"


def gunicorn_bind(monkeypatch, **env: str) -> str:
    for name in ("GUNICORN_BIND", "PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))["bind"]


def test_gunicorn_listens_on_loopback_unless_told_otherwise(monkeypatch):
    assert gunicorn_bind(monkeypatch) == "127.0.0.1:8000"
    assert gunicorn_bind(monkeypatch, PORT="8302") == "127.0.0.1:8302"
    assert gunicorn_bind(monkeypatch, GUNICORN_BIND="0.0.0.0:9000") == "0.0.0.0:9000"


def test_the_container_and_the_platforms_listen_on_every_interface():
    # Their proxies reach the server from outside its network namespace.
    assert "GUNICORN_BIND=0.0.0.0:8000" in (ROOT / "Dockerfile").read_text()
    web = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line[:4] == "web:")
    assert "--bind 0.0.0.0:" in web
