"""Commands the README documents do what it says, in the state `make run` leaves behind."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def documented_command(marker: str) -> str:
    """The first shell command in the README containing `marker`, with its continuations."""
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    for block in blocks:
        commands = re.split(r"(?<!\\)\n", block)
        for command in commands:
            if marker in command:
                return command
    raise AssertionError(f"no command with {marker!r} in the README")


def checkout_after_make_run(path: Path) -> Path:
    """A copy of the checkout where `make run` has written its development `.env`.

    Settings find `.env` next to their own package, so `config/` and `manage.py` are
    copied; the rest is linked.
    """
    for entry in ROOT.iterdir():
        if entry.name in (".env", "var", ".git", ".venv", "config", "manage.py"):
            continue
        (path / entry.name).symlink_to(entry)
    shutil.copytree(ROOT / "config", path / "config", ignore=shutil.ignore_patterns("tests"))
    shutil.copy(ROOT / "manage.py", path / "manage.py")
    shutil.copy(ROOT / ".env.example", path / ".env")
    assert "DEBUG=true" in (path / ".env").read_text()
    return path


@pytest.mark.slow
def test_the_documented_check_deploy_is_clean_after_make_run(tmp_path):
    command = documented_command("manage.py check --deploy")
    checkout = checkout_after_make_run(tmp_path)
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    result = subprocess.run(
        ["bash", "-c", command.replace(".venv/bin/python", sys.executable)],
        cwd=checkout,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_make_install_compiles_the_dependencies_to_bytecode():
    # Where PYTHONDONTWRITEBYTECODE is set (containers, this machine) nothing is ever
    # cached: without compiled files every manage.py command, cron's included, spends
    # over a second compiling Django before it starts.
    makefile = (ROOT / "Makefile").read_text()
    (sync,) = [line for line in makefile.splitlines() if "uv sync" in line]
    assert "--compile-bytecode" in sync
    assert "--compile-bytecode" in (ROOT / "Dockerfile").read_text()
