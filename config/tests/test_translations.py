from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
RUSSIAN_CATALOGUES = sorted(
    path
    for path in ROOT.glob("**/locale/ru/LC_MESSAGES/django.po")
    if ".venv" not in path.parts and "var" not in path.parts
)


def test_there_is_a_russian_catalogue():
    assert RUSSIAN_CATALOGUES


@pytest.mark.parametrize("path", RUSSIAN_CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_string_has_a_russian_translation(path):
    with path.open("rb") as handle:
        catalog = read_po(handle)
    untranslated = [
        message.id
        for message in catalog
        if message.id
        and (
            message.fuzzy
            or not (message.string if isinstance(message.string, str) else all(message.string))
        )
    ]
    assert untranslated == []


ALL_CATALOGUES = sorted(
    path
    for path in ROOT.glob("**/locale/*/LC_MESSAGES/django.po")
    if ".venv" not in path.parts and "var" not in path.parts
)


@pytest.mark.parametrize("path", ALL_CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_catalogue_is_fuzzy_as_a_whole(path):
    # `pybabel compile` (make messages) silently skips a catalogue whose header is fuzzy,
    # as makemessages writes it: every string of that app then shows in English.
    with path.open("rb") as handle:
        assert not read_po(handle).fuzzy
