"""`make run PORT=8302`: links in emails point at port 8302 (SITE_URL follows PORT)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from e2e.stack import free_port

ROOT = Path(__file__).resolve().parents[2]


def site_url(**env) -> str:
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.SITE_URL)",
        ],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true", **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.mark.slow
def test_site_url_follows_port_unless_set(tmp_path):
    base = {"ENV_FILE": os.devnull, "VAR_DIR": str(tmp_path)}
    assert site_url(**base) == "http://127.0.0.1:8000"
    assert site_url(**base, PORT="8302") == "http://127.0.0.1:8302"
    assert site_url(**base, PORT="8302", SITE_URL="https://mail.example.com/") == (
        "https://mail.example.com"
    )


def django_children_of(pid: int) -> list[int]:
    """The child processes that already run manage.py (a forked shell shows the
    environment of its exec, so it must have exec'd to show what it passes on)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    children = [int(child) for child in path.read_text().split()] if path.exists() else []
    return [
        child for child in children if b"manage.py" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


def start_run_dev(tmp_path, port: int) -> subprocess.Popen:
    """`make run`'s script, with both its processes started (their own session, so that a
    signal to the group reaches them as a terminal's would)."""
    env = {
        **os.environ,
        "ENV_FILE": os.devnull,
        "VAR_DIR": str(tmp_path),
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("PORT", None)
    run_dev = subprocess.Popen(
        ["scripts/run-dev", "127.0.0.1", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while len(django_children_of(run_dev.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    return run_dev


def test_run_dev_hands_its_port_to_the_site_and_the_scheduler(tmp_path):
    """Both processes build links (the scheduler writes the emails): both get PORT."""
    port = free_port()
    run_dev = start_run_dev(tmp_path, port)
    try:
        children = django_children_of(run_dev.pid)
        assert len(children) == 2
        for child in children:
            environment = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
            assert f"PORT={port}".encode() in environment
    finally:
        os.killpg(run_dev.pid, signal.SIGTERM)
        run_dev.wait(timeout=20)


@pytest.mark.slow
def test_ctrl_c_stops_run_dev_cleanly(tmp_path):
    """Ctrl-C is how `make run` ends: a clean stop, which make must not report as an error."""
    run_dev = start_run_dev(tmp_path, free_port())
    try:
        assert len(django_children_of(run_dev.pid)) == 2
        os.killpg(run_dev.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C
        assert run_dev.wait(timeout=20) == 0
    finally:
        if run_dev.poll() is None:
            os.killpg(run_dev.pid, signal.SIGKILL)
