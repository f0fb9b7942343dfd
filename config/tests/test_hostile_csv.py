"""The export writer (config/csv_export.py) against generated cells: no piece of the file
starts a formula for a spreadsheet splitting it at commas or at semicolons, and every
cell reads back exactly as it was written."""

import csv
import io

from hypothesis import example, given
from hypothesis import strategies as st

from config.csv_export import FORMULA_PREFIXES, cell_escape, cell_unescape, csv_lines
from config.tests import hostile

# The characters that matter here, often; anything else now and then.
TRICKY = st.sampled_from(list("=+-@\t\r\n;,'\" a1."))
cells = st.text(st.one_of(TRICKY, hostile.CHARACTERS), max_size=12) | hostile.hostile_text.filter(
    lambda text: len(text) < 1000
)
rows = st.lists(st.lists(cells, max_size=4), min_size=1, max_size=4)


def formula_starts(text: str) -> list[str]:
    """Every piece of the file that a spreadsheet might take for a cell and run: the
    file split at commas, semicolons and line ends alike, whatever the quotes say (a
    spreadsheet with the other separator does not honour them), its quotes dropped.
    Numbers are not formulas."""
    found = []
    for line in text.replace("\r", "\n").split("\n"):
        for piece in line.replace(";", ",").split(","):
            piece = piece.lstrip('"')
            if piece.startswith(FORMULA_PREFIXES):
                try:
                    float(piece)
                except ValueError:
                    found.append(piece)
    return found


def written(table: list[list]) -> str:
    return "".join(csv_lines(["header"], table)).removeprefix("\ufeff")


@given(rows)
@example([["x;=cmd|' /C calc'!A0"]])
@example([["'=already", "a,'\"=b", "\r\r=", ";;@"]])
def test_no_piece_of_an_export_starts_a_formula(table):
    assert formula_starts(written(table)) == []


@given(rows)
@example([["'=already", "a,'\"=b", "\r\r=", ";;@", "", "plain"]])
def test_an_export_reads_back_as_it_was_written(table):
    read = list(csv.reader(io.StringIO(written(table), newline="")))
    assert [[cell_unescape(cell) for cell in row] for row in read[1:]] == table


@given(cells)
def test_unescape_undoes_escape(cell):
    assert cell_unescape(cell_escape(cell)) == cell


@given(st.lists(st.integers() | st.floats(allow_nan=False, allow_infinity=False), max_size=5))
def test_numbers_stay_numbers(numbers):
    (line,) = list(csv_lines(["n"], [numbers]))[1:]
    assert line == ",".join(repr(number) for number in numbers) + "\r\n"
    assert '"' not in line
