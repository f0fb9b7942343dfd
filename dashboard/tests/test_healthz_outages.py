"""/healthz needs neither the session nor the cache: with its own PostgreSQL stopped, the
real site (gunicorn) answers 503 JSON whatever the cookies, and 200 once it is back."""

import subprocess
import sys

import pytest
import requests

from config.tests.services import free_port, wait_for_port
from sending.tests.processes import ROOT, django_env, wait_for

pytestmark = [pytest.mark.services, pytest.mark.slow]

SIGNED_IN_SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import User
user = User.objects.create_user(email="owner@example.com", password="x")
session = SessionStore()
session.update({SESSION_KEY: str(user.pk), HASH_SESSION_KEY: user.get_session_auth_hash(),
                BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend"})
session.create()
print(session.session_key)
"""


@pytest.fixture
def site(private_postgres, tmp_path):
    """gunicorn on the private PostgreSQL, and a signed-in user's session cookie."""
    env = django_env(
        DJANGO_SETTINGS_MODULE="config.test_settings",
        DATABASE_URL=private_postgres.create_database("rassylka", migrate=True),
        VAR_DIR=tmp_path / "var",
        ENV_FILE="/dev/null",
    )
    env.pop("CACHE_URL", None)  # the cache of its own VAR_DIR

    def manage(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        ).stdout

    session_key = manage("shell", "-c", SIGNED_IN_SESSION).split()[-1]
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("wb")
    web = subprocess.Popen(
        [
            f"{sys.prefix}/bin/gunicorn",
            "config.wsgi",
            "--config",
            "deploy/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}", session_key
    finally:
        web.terminate()
        web.wait(timeout=30)


def test_healthz_answers_503_json_while_the_database_is_down_whatever_the_cookies(
    site, private_postgres
):
    url, session_key = site
    signed_in = requests.Session()
    signed_in.cookies.update({"sessionid": session_key, "django_language": "en"})
    profile = signed_in.get(f"{url}/accounts/profile/", allow_redirects=False, timeout=10)
    assert profile.status_code == 200, "the session cookie signs the user in"
    assert signed_in.get(f"{url}/healthz", timeout=10).json()["database"]["ok"]

    private_postgres.stop()
    for cookies in ({}, {"sessionid": session_key}, {"sessionid": "not-a-session"}):
        response = requests.get(f"{url}/healthz", cookies=cookies, timeout=10)
        assert response.status_code == 503, (cookies, response.text[:300])
        assert response.headers["Content-Type"] == "application/json"
        body = response.json()
        assert body["status"] == "degraded" and body["database"]["ok"] is False
        assert body["cache"]["ok"] is True

    private_postgres.start()
    response = wait_for(
        lambda: (r := signed_in.get(f"{url}/healthz", timeout=10)).status_code == 200 and r,
        timeout=15,
        what="/healthz 200 once the database is back",
    )
    assert response.json()["database"]["ok"] is True
    assert signed_in.get(f"{url}/accounts/profile/", allow_redirects=False).status_code == 200
