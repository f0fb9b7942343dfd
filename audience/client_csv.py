"""Clients in and out as CSV: the import (`email,full_name,comment` with a header row,
custom fields, lists and tags; written through the one upsert, audience/upsert.py) and
the export, which imports back as it was."""

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from config.csv_export import cell_unescape, csv_lines

from .attributes import (
    MAX_FIELDS,
    attribute_key,
    attribute_labels_note,
    attribute_labels_of,
    attribute_value,
)
from .models import Client
from .services import clients_join_lists_and_tags, owner_lists_by_lowered_name
from .upsert import (
    ClientRow,
    ClientsUpsert,
    UpsertResult,
    email_problem,
    name_problem,
)

COLUMNS = ("email", "full_name", "comment")
# Optional columns naming the lists a client joins and its tags (not custom fields).
MEMBERSHIP_COLUMNS = ("lists", "tags")
# Columns our own export adds that an import reads nothing from (nor makes fields of).
EXPORT_ONLY_COLUMNS = ("unsubscribed_at", "status", "owner")
LIST_SEPARATORS = re.compile(r"[,;|]")
# How often (in rows) an import reports how far it has read.
PROGRESS_ROWS = 1000


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, no header, no email column)."""


@dataclass
class RowError:
    line: int
    email: str
    reason: str


@dataclass
class ImportResult(UpsertResult):
    errors: list[RowError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged


# Byte-order marks, longest first: UTF-32's little-endian mark begins with UTF-16's.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_upload(data: bytes) -> str:
    """The text of an upload: marked Unicode (Excel's "Unicode text" is UTF-16), else
    UTF-8, else Windows-1251 (Excel in a Russian locale)."""
    for mark, encoding in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                break
    else:
        for encoding in ("utf-8", "cp1251"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise ImportFileError(_("The file is neither UTF-8 nor Windows-1251 text."))


def csv_records(
    text: str,
) -> tuple[dict[str, int], Iterator[tuple[int, list[str], str]], list[str]]:
    """The one CSV reader of uploads: the header's columns (lower case), then (line,
    cells, problem), and the header as written (custom fields keep those names).

    Nothing the csv module or the database would choke on gets through: a line it
    cannot parse (a cell over the size limit, say) or one holding a NUL character (which
    PostgreSQL cannot store in text) comes with its problem and no cells, and reading
    goes on at the next line. A file that cannot even give a header is an ImportFileError.
    """
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    except csv.Error:
        header = []
    if "\x00" in "".join(header):
        raise ImportFileError(_("This is not a CSV text file: it holds binary data."))
    typed = [name.strip().lstrip("\ufeff").strip() for name in header]
    names = [name.lower() for name in typed]
    columns = {name: index for index, name in enumerate(names)}
    counts = Counter(name for name in names if name)
    if twice := next((name for name, count in counts.items() if count > 1), None):
        raise ImportFileError(
            _("The column “%(name)s” appears twice in the header.") % {"name": twice[:60]}
        )
    if "email" not in columns:
        raise ImportFileError(
            _("The first row must be a header naming the columns: email,full_name,comment.")
        )

    def records() -> Iterator[tuple[int, list[str], str]]:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error:
                problem = _("This line cannot be read as CSV (a cell over %(size)d KB?).") % {
                    "size": csv.field_size_limit() // 1024
                }
                yield reader.line_num, [], problem
                continue
            if any("\x00" in value for value in row):
                yield (
                    reader.line_num,
                    [],
                    pgettext("client upsert", "This line holds a NUL character."),
                )
            else:
                yield reader.line_num, row, ""

    return columns, records(), typed


def _attribute_columns(columns: dict[str, int]) -> dict[str, int]:
    """Every column beyond the known ones is a custom field: its key → its index. A file
    whose extra columns cannot all be fields (500 of them, two names for one key, a name
    with nothing usable in it) is refused as a whole, before any row is read."""
    extra = {
        name: index
        for name, index in columns.items()
        if name and name not in (*COLUMNS, *MEMBERSHIP_COLUMNS, *EXPORT_ONLY_COLUMNS)
    }
    if len(extra) > MAX_FIELDS:
        raise ImportFileError(
            _("The file has %(count)d extra columns: at most %(max)d can be custom fields.")
            % {"count": len(extra), "max": MAX_FIELDS}
        )
    keys: dict[str, int] = {}
    for name, index in extra.items():
        try:
            key = attribute_key(name)
        except ValidationError as error:
            raise ImportFileError(
                _("Column “%(name)s”: %(problem)s")
                % {"name": name[:60], "problem": error.messages[0]}
            ) from None
        if key in keys:
            raise ImportFileError(
                _("Two columns both make the field “%(key)s”: rename one of them.") % {"key": key}
            )
        keys[key] = index
    return keys


def _names(cell: str) -> list[str]:
    return [" ".join(name.split()) for name in LIST_SEPARATORS.split(cell) if name.strip()]


def clients_import(
    *, owner, data: bytes, on_progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Create new clients and update existing ones (matched by email, any case).

    Empty cells leave existing values alone; unsubscribed clients stay unsubscribed, and
    a new client whose address is on the owner's suppression list gets its status.
    Columns beyond email, full_name and comment are custom fields (`attributes`), except
    `lists` and `tags`: names of the owner's lists to put the client on (a client who left
    one is not put back) and of tags (created as needed).
    `on_progress` hears the number of rows read so far as the file is read, and the
    total at the end. The file is read outside any transaction and written in short
    ones, so that a large file never holds SQLite's write lock for long. A client added
    meanwhile with an address of the file raises IntegrityError; the rows written before
    stay, and importing the file again completes it (rows match by email).
    """
    columns, records, header = csv_records(decode_upload(data))
    attribute_columns = _attribute_columns(columns)
    lists_by_name = owner_lists_by_lowered_name(owner) if "lists" in columns else {}
    upsert = ClientsUpsert(owner=owner)
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    # Email (lower case) → the lists and the tags its row names.
    joins: dict[str, tuple[list[int], list[str]]] = {}

    def cell(row: list[str], name: str) -> str:
        index = columns.get(name)
        return cell_unescape(row[index].strip()) if index is not None and index < len(row) else ""

    def row_attributes(row: list[str]) -> dict[str, str]:
        return {
            key: attribute_value(cell_unescape(row[index]), key=key)
            for key, index in attribute_columns.items()
            if index < len(row) and row[index].strip()
        }

    rows = 0
    for line, row, problem in records:
        rows += 1
        if on_progress is not None and rows % PROGRESS_ROWS == 0:
            on_progress(rows)
        if problem:
            errors.append(RowError(line, "", problem))
            continue
        if not any(value.strip() for value in row):
            continue
        email, full_name, comment = (cell(row, name) for name in COLUMNS)
        if problem := email_problem(email) or name_problem(full_name):
            errors.append(RowError(line, email, problem))
            continue
        try:
            attributes = row_attributes(row)
        except ValidationError as error:
            errors.append(RowError(line, email, error.messages[0]))
            continue
        list_names = _names(cell(row, "lists"))
        unknown_lists = [name for name in list_names if name.lower() not in lists_by_name]
        if unknown_lists:
            errors.append(
                RowError(
                    line,
                    email,
                    _("You have no list named “%(name)s”.") % {"name": unknown_lists[0][:60]},
                )
            )
            continue
        key = email.lower()
        if key in seen:
            errors.append(
                RowError(
                    line,
                    email,
                    _("The same email as on line %(line)d; this line was skipped.")
                    % {"line": seen[key]},
                )
            )
            continue
        seen[key] = line
        tag_names = _names(cell(row, "tags"))
        if list_names or tag_names:
            joins[key] = ([lists_by_name[name.lower()] for name in list_names], tag_names)
        row = ClientRow(email=email, full_name=full_name, comment=comment, attributes=attributes)
        if problem := upsert.add(row):
            errors.append(RowError(line, email, problem))

    if not rows:
        raise ImportFileError(_("The file has a header row but no clients under it."))
    if on_progress is not None:
        on_progress(rows)
    written = upsert.write()
    # The columns' own names stay the fields' names («Город», whose key is gorod).
    attribute_labels_note(
        owner.pk, attribute_labels_of({header[i]: "" for i in attribute_columns.values()})
    )
    if joins:
        clients_join_lists_and_tags(owner=owner, joins=joins)
    return ImportResult(**vars(written), errors=errors)


def clients_csv_lines(
    clients: QuerySet[Client],
    *,
    zone: tzinfo,
    with_owner: bool = False,
    attribute_keys: Sequence[str] = (),
) -> Iterator[str]:
    """The lines of the export, produced as the rows are read (never all in memory).
    Custom fields follow as one column each (`attribute_keys`), so that the file imports
    back as it was."""
    header = [*COLUMNS, "unsubscribed_at", "status"] + (["owner"] if with_owner else [])
    fields = [*COLUMNS, "unsubscribed_at", "status", "attributes"]
    fields += ["owner__email"] if with_owner else []

    def rows():
        for values in clients.values_list(*fields).iterator(chunk_size=2000):
            email, full_name, comment, unsubscribed_at, status, attributes, *owner = values
            unsubscribed = (
                timezone.localtime(unsubscribed_at, zone).strftime("%Y-%m-%d %H:%M")
                if unsubscribed_at
                else ""
            )
            yield [
                email,
                full_name,
                comment,
                unsubscribed,
                status,
                *owner,
                *(attributes.get(key, "") for key in attribute_keys),
            ]

    return csv_lines([*header, *attribute_keys], rows())
