"""Every string the interface can show has its Russian translation: `make makemessages` runs
on a copy of the source, and no message of a Russian catalogue may be left empty or fuzzy."""

import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

from conftest import service_unavailable

pytestmark = pytest.mark.slow

SOURCE_ONLY = shutil.ignore_patterns(".venv", ".git", "var", "media", "__pycache__", "*.mo")


def untranslated(catalogue: Path) -> list[str]:
    with catalogue.open("rb") as po:
        messages = read_po(po)
    return [
        str(message.id)
        for message in messages
        if message.id
        and (
            message.fuzzy
            or not all(message.string if isinstance(message.string, tuple) else [message.string])
        )
    ]


def test_every_interface_string_is_translated_into_russian(tmp_path):
    if shutil.which("xgettext") is None:
        service_unavailable("GNU gettext is not installed (apt-get install gettext)")
    source = Path(settings.BASE_DIR)
    copy = tmp_path / "rassylka"
    shutil.copytree(source, copy, ignore=SOURCE_ONLY)
    (copy / ".venv").symlink_to(source / ".venv")
    (copy / ".env").write_text("")

    made = subprocess.run(
        ["make", "-s", "-o", ".venv/.installed", "makemessages"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr[-2000:]

    catalogues = sorted(copy.glob("**/locale/ru/LC_MESSAGES/django.po"))
    assert len(catalogues) >= 12  # the project's own and one per app
    missing = {
        str(catalogue.relative_to(copy)): found
        for catalogue in catalogues
        if (found := untranslated(catalogue))
    }
    assert missing == {}
