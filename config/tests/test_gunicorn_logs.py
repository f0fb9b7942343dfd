"""With LOG_FORMAT=json the production web server writes one JSON object per line on
stdout: gunicorn's own access and error lines as well as the application's."""

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from config.tests.test_deploy_check import PRODUCTION_ENV, ROOT
from e2e.stack import free_port, wait_for_port


def get(url: str) -> int:
    request = urllib.request.Request(url, headers={"Host": "mail.example.com"})
    try:
        return urllib.request.urlopen(request, timeout=10).status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
def test_every_line_on_stdout_is_json(tmp_path):
    port = free_port()
    (tmp_path / "static").mkdir()  # collectstatic's place; WhiteNoise warns without it
    # The 404 page is in the site's layout, whose static files a deployment's
    # collectstatic lists in its manifest; a full collectstatic takes half a minute.
    layout_files = ["favicon.svg", "bootstrap/css/bootstrap.min.css", "css/site.css"]
    layout_files += ["bootstrap/js/bootstrap.bundle.min.js", "js/copy.js"]
    manifest = {"version": "1.1", "paths": {name: name for name in layout_files}}
    (tmp_path / "static" / "staticfiles.json").write_text(json.dumps(manifest))
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env = {
        **clean,
        **PRODUCTION_ENV,
        "ENV_FILE": os.devnull,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "VAR_DIR": str(tmp_path),
        "LOG_FORMAT": "json",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "SECURE_SSL_REDIRECT": "false",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [gunicorn, "config.wsgi", "--config", "deploy/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port)
        assert get(f"http://127.0.0.1:{port}/healthz") in (200, 503)
        assert get(f"http://127.0.0.1:{port}/no-such-page/") == 404
    finally:
        server.send_signal(signal.SIGTERM)
        stdout, stderr = server.communicate(timeout=30)
    lines = [json.loads(line) for line in stdout.splitlines()]  # fails on any non-JSON line
    loggers = {line["logger"] for line in lines}
    assert {"gunicorn.error", "gunicorn.access", "django.request"} <= loggers, lines
    access = [line["message"] for line in lines if line["logger"] == "gunicorn.access"]
    assert any('"GET /no-such-page/ HTTP/1.1" 404' in message for message in access), access
    assert all(set(line) >= {"time", "level", "logger", "message"} for line in lines)
    assert stderr.strip() == ""
