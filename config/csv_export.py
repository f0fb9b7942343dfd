"""The one CSV writer of every export, safe in a spreadsheet whatever its list separator.

A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
as a formula (CSV injection). Quoting alone does not protect: Excel in a locale whose
list separator is `;` (the Russian default) splits `"x;=cmd|' /C calc'!A0"` at the `;`
and runs the second half, and one whose separator is `,` does the same with a comma.
So every text cell is quoted, and wherever a formula could start (the cell's start and
after each `;`, `,` or line break inside it) one apostrophe is put in front, as OWASP
advises. The apostrophe goes in front of any apostrophes and quotes already there too,
which makes the change reversible: `cell_unescape` gives back exactly what was written
(our own import reads our exports through it). Numbers are written as numbers.
"""

import csv
import re
from collections.abc import Iterable, Iterator
from typing import Any

# What a spreadsheet takes for the start of a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A place where a spreadsheet may start a cell, then what would make it a formula there:
# apostrophes and quotes (ours, or a quote a spreadsheet drops) before a formula sign.
_FORMULA_AT = r"(?=['\"]*[=+\-@\t\r])"
_ESCAPE = re.compile(rf"(^|[;,\n\r]){_FORMULA_AT}")
_UNESCAPE = re.compile(rf"(^|[;,\n\r])'{_FORMULA_AT}")


def cell_escape(value: str) -> str:
    return _ESCAPE.sub(r"\1'", value)


def cell_unescape(value: str) -> str:
    """Undo cell_escape (a cell of our own export read back)."""
    return _UNESCAPE.sub(r"\1", value)


class _Echo:
    """A file-like object whose write() hands the line back: csv.writer for streaming."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return cell_escape(str(value))


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The lines of an export, produced as the rows come (never all in memory).

    Every text cell is quoted and neutralised, whoever wrote it: a client's name, a
    subject, a server's reply or an account's email address alike. Numbers (int,
    float) are written bare; None is an empty cell.
    """
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_NONNUMERIC)

    # A byte-order mark makes Excel read the file as UTF-8 (Cyrillic names stay readable).
    yield "\ufeff" + writer.writerow([_cell(name) for name in header])
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])
