"""Clients in and out as CSV: the import and the export, which imports back as it was.

An import is planned before it is read: the file's encoding and separator are detected,
and each column of its header gets a target (email, name, comment, lists, tags, time
zone, a custom field, or nothing), proposed from the column's name in Russian or English
and changed by the user on the mapping page (audience/imports.py keeps the plan on the
job). The rows are then written through the one upsert, audience/upsert.py.
"""

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import tzinfo

import charset_normalizer
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from config.csv_export import cell_unescape, csv_lines

from .attributes import (
    MAX_FIELDS,
    MAX_LABEL_LENGTH,
    attribute_key,
    attribute_labels_note,
    attribute_value,
)
from .models import Client, MailingList, Membership, Tag
from .services import (
    clients_join_lists_and_tags,
    owner_lists_by_lowered_name,
    tags_by_lowered_name,
)
from .upsert import ClientRow, ClientsUpsert, UpsertResult, email_problem, name_problem

COLUMNS = ("email", "full_name", "comment")
# Columns our own export adds that an import reads nothing from (nor makes fields of).
EXPORT_ONLY_COLUMNS = ("unsubscribed_at", "status", "owner")
# Our export's first columns; custom fields (or an overseer's "owner") follow.
EXPORT_HEADER = (*COLUMNS, "unsubscribed_at", "status", "lists", "tags")
# A file wider than this is not a list of people (and its mapping page would not fit).
MAX_COLUMNS = 100
# Lists an import may create: a column of anything else would make thousands.
MAX_NEW_LISTS = 20
# The custom field a time zone column fills, until clients have a time zone of their own.
TIME_ZONE_KEY = "time_zone"
TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length
LIST_SEPARATORS = re.compile(r"[,;|]")
# How often (in rows) an import reports how far it has read.
PROGRESS_ROWS = 1000
# A column's name as kept and shown (a field's key is shorter still).
MAX_NAME_LENGTH = 100
# The bytes read to detect the encoding and the separator.
SAMPLE_BYTES = 64 * 1024
# Rows of the file the mapping page shows under each column's name.
SAMPLE_ROWS = 3


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, no header, binary data)."""


class Target(models.TextChoices):
    """Where a column of the file goes."""

    EMAIL = "email", pgettext_lazy("import target", "Email")
    # Several name columns (first, last) are joined: the mapping page says so.
    FULL_NAME = "full_name", pgettext_lazy("import target", "Name")
    COMMENT = "comment", gettext_lazy("Comment")
    LISTS = "lists", gettext_lazy("Lists")
    TAGS = "tags", gettext_lazy("Tags")
    TIME_ZONE = "time_zone", gettext_lazy("Time zone")
    FIELD = "field", gettext_lazy("Custom field")
    SKIP = "skip", gettext_lazy("Skip this column")


def _plain(name: str) -> str:
    """A column's name as the proposals compare it: «Эл. почта» → "эл почта"."""
    lowered = name.strip().lstrip("\ufeff").lower().replace("ё", "е")
    return " ".join(re.sub(r"[\s_\-.:/]+", " ", lowered).split())


# Column names (as `_plain` spells them) and the target each proposes.
PROPOSALS = {
    Target.EMAIL: (
        "email",
        "e mail",
        "email address",
        "e mail address",
        "mail",
        "почта",
        "эл почта",
        "электронная почта",
        "адрес электронной почты",
        "адрес эл почты",
        "электронный адрес",
        "емейл",
        "имейл",
        "емэйл",
    ),
    Target.FULL_NAME: (
        "full name",
        "fullname",
        "name",
        "first name",
        "last name",
        "middle name",
        "firstname",
        "lastname",
        "fname",
        "lname",
        "имя",
        "фио",
        "ф и о",
        "фамилия",
        "отчество",
        "имя и фамилия",
        "фамилия и имя",
        "фамилия имя отчество",
        "имя клиента",
        "контактное лицо",
        # 1C's name of a customer (a person or a company).
        "наименование",
        "контрагент",
    ),
    Target.COMMENT: ("comment", "comments", "note", "notes", "комментарий", "примечание"),
    Target.LISTS: ("lists", "list", "списки", "список"),
    Target.TAGS: ("tags", "tag", "теги", "тег", "метки", "метка"),
    Target.TIME_ZONE: ("time zone", "timezone", "tz", "часовой пояс", "пояс"),
    Target.SKIP: EXPORT_ONLY_COLUMNS,
}
TARGET_OF_NAME = {_plain(name): target for target, names in PROPOSALS.items() for name in names}


# How the mapping page names what was detected.
ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "utf-32": "UTF-32",
    "cp1251": "Windows-1251",
    "koi8-r": "KOI8-R",
    "cp866": "DOS (CP866)",
}
DELIMITER_LABELS = {
    ",": gettext_lazy("commas"),
    ";": gettext_lazy("semicolons"),
    "\t": gettext_lazy("tabs"),
    "|": gettext_lazy("vertical bars"),
}


@dataclass
class ImportPlan:
    """How a file is read: its encoding, separator, header and each column's target."""

    encoding: str
    delimiter: str
    header: list[str]
    targets: list[str]
    # Lists the file names that the owner does not have are created (else row errors).
    create_lists: bool = True
    # False for a bare column of addresses: its first row is a client, not names.
    has_header: bool = True

    @classmethod
    def from_json(cls, data: dict) -> "ImportPlan":
        return cls(**data)

    def as_json(self) -> dict:
        return asdict(self)

    @property
    def encoding_label(self) -> str:
        try:
            name = codecs.lookup(self.encoding).name
        except LookupError:
            name = self.encoding
        return ENCODING_LABELS.get(name, name.upper())

    @property
    def delimiter_label(self) -> str:
        return str(DELIMITER_LABELS.get(self.delimiter, self.delimiter))

    def records(self, data: bytes) -> Iterator[tuple[int, list[str], str]]:
        """The file's rows under its header (see csv_records)."""
        text = decode_upload(data, self.encoding)
        return csv_records(text, self.delimiter, header=self.has_header)[1]

    def columns(self, target: str) -> list[int]:
        return [index for index, chosen in enumerate(self.targets) if chosen == target]

    def field_key(self, index: int) -> str:
        """The custom field a FIELD or TIME_ZONE column fills (ValidationError if none)."""
        if self.targets[index] == Target.TIME_ZONE:
            return TIME_ZONE_KEY
        return attribute_key(self.header[index])

    def problems(self) -> list[str]:
        """Why the file cannot be imported with these targets, in the user's words."""
        problems = []
        # Name, comment, lists and tags columns are joined; a time zone is one field.
        emails = self.columns(Target.EMAIL)
        if not emails:
            problems.append(_("Choose the column that holds the email addresses."))
        elif len(emails) > 1:
            problems.append(_("Only one column can hold the email addresses."))
        keys: dict[str, str] = {}
        for index in self.columns(Target.FIELD) + self.columns(Target.TIME_ZONE):
            name = self.header[index][:60]
            try:
                key = self.field_key(index)
            except ValidationError as error:
                problems.append(
                    _("Column “%(name)s”: %(problem)s")
                    % {"name": name, "problem": error.messages[0]}
                )
                continue
            if key in keys:
                problems.append(
                    _(
                        "Columns “%(first)s” and “%(second)s” both make the field “%(key)s”: "
                        "skip one."
                    )
                    % {"first": keys[key], "second": name, "key": key}
                )
            keys[key] = name
        if len(keys) > MAX_FIELDS:
            problems.append(
                _("%(count)d columns are custom fields: a client has at most %(max)d; skip some.")
                % {"count": len(keys), "max": MAX_FIELDS}
            )
        return problems


# Byte-order marks, longest first: UTF-32's little-endian mark begins with UTF-16's.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


# Single-byte Russian tables, likeliest first (a tie goes to the first).
CYRILLIC_ENCODINGS = ("cp1251", "koi8_r", "cp866")
# A Russian word as written: small letters, maybe after a capital. Read with the wrong
# table, Russian text swaps the cases or turns into symbols, and makes none.
RUSSIAN_WORD = re.compile(r"(?<![^\W\d_])[А-ЯЁ]?[а-яё]{2,}(?![^\W\d_])")


def _russian_words(data: bytes, encoding: str) -> int:
    return len(RUSSIAN_WORD.findall(data[:SAMPLE_BYTES].decode(encoding, errors="replace")))


def detect_encoding(data: bytes) -> str:
    """The encoding of an upload: marked Unicode (Excel's "Unicode text" is UTF-16), else
    UTF-8, else the Russian table in which the text reads as Russian words (Windows-1251
    from Excel or 1C, KOI8-R, DOS), else charset-normalizer's guess (a Western European
    table, say). charset-normalizer alone takes a short Windows-1251 file for Latin-1."""
    for mark, encoding in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return encoding
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    words = {encoding: _russian_words(data, encoding) for encoding in CYRILLIC_ENCODINGS}
    russian = max(words, key=words.__getitem__)
    if words[russian]:
        return russian
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise ImportFileError(_("This is not a text file: its encoding cannot be recognised."))
    return best.encoding


def decode_upload(data: bytes, encoding: str | None = None) -> str:
    """The text of an upload, in its detected (or the given) encoding."""
    encoding = encoding or detect_encoding(data)
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise ImportFileError(
            _("The file is not consistently in one encoding (read as %(encoding)s).")
            % {"encoding": encoding}
        ) from None


def detect_delimiter(text: str) -> str:
    """The separator of the file's cells: the csv module's guess from its first lines,
    else the one its first line has most of."""
    sample = "\n".join(text[:SAMPLE_BYTES].splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first_line = sample.split("\n", 1)[0]
        return max((",", ";", "\t", "|"), key=first_line.count)


def csv_records(
    text: str, delimiter: str, *, header: bool = True
) -> tuple[list[str], Iterator[tuple[int, list[str], str]]]:
    """The one CSV reader of uploads: the header's names, then (line, cells, problem);
    without a header (`header=False`) the first row is read as the others too.

    Nothing the csv module or the database would choke on gets through: a line it
    cannot parse (a cell over the size limit, say) or one holding a NUL character (which
    PostgreSQL cannot store in text) comes with its problem and no cells, and reading
    goes on at the next line. A file that cannot even give a header is an ImportFileError.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        first = next(reader)
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    except csv.Error:
        raise ImportFileError(_("The first row cannot be read as CSV.")) from None
    if "\x00" in "".join(first):
        raise ImportFileError(_("This is not a CSV text file: it holds binary data."))
    names = [" ".join(name.lstrip("\ufeff").split())[:MAX_NAME_LENGTH] for name in first]
    if not any(names):
        raise ImportFileError(_("The first row must be a header naming the columns."))

    def records() -> Iterator[tuple[int, list[str], str]]:
        if not header:
            yield 1, [cell.lstrip("\ufeff") for cell in first], ""
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

    return names, records()


def _proposed_target(name: str, values: list[str]) -> str:
    if target := TARGET_OF_NAME.get(_plain(name)):
        return target
    if values and all("@" in value for value in values):
        return Target.EMAIL
    try:
        attribute_key(name)
    except ValidationError:
        return Target.SKIP
    return Target.FIELD


def plan_upload(data: bytes) -> tuple[ImportPlan, list[list[str]]]:
    """A plan for the file (targets proposed from the columns' names, and from their
    values for an email column named otherwise) and its first rows for the mapping page.
    Raises ImportFileError for a file that cannot be read at all."""
    encoding = detect_encoding(data)
    text = decode_upload(data, encoding)
    delimiter = detect_delimiter(text)
    header, records = csv_records(text, delimiter)
    has_header = not any(email_problem(name) is None for name in header)
    if not has_header:
        # A bare list of addresses: its columns are numbered, its first row read.
        header = [_("Column %(number)d") % {"number": n} for n in range(1, len(header) + 1)]
        records = csv_records(text, delimiter, header=False)[1]
    if len(header) > MAX_COLUMNS:
        raise ImportFileError(
            _("The file has %(count)d columns: at most %(max)d can be read.")
            % {"count": len(header), "max": MAX_COLUMNS}
        )
    samples = _first_rows(records)
    if not samples:
        raise ImportFileError(_("The file has a header row but no clients under it."))

    def values(index: int) -> list[str]:
        return [row[index] for row in samples if index < len(row) and row[index]]

    targets = [_proposed_target(name, values(index)) for index, name in enumerate(header)]
    if tuple(header[: len(EXPORT_HEADER)]) == EXPORT_HEADER:
        # Our own export: what follows are custom fields, whatever their names look like
        # (a field called "name" or "notes" stays a field).
        for index in range(len(EXPORT_HEADER), len(header)):
            if targets[index] != Target.SKIP:
                targets[index] = Target.FIELD
    # A second column that looks like the email (“E-mail”, then “Email Address”) is left out.
    emails = [index for index, target in enumerate(targets) if target == Target.EMAIL]
    for index in emails[1:]:
        targets[index] = Target.SKIP
    return ImportPlan(encoding, delimiter, header, targets, has_header=has_header), samples


def _first_rows(records: Iterator[tuple[int, list[str], str]]) -> list[list[str]]:
    samples: list[list[str]] = []
    for _line, row, problem in records:
        if not problem and any(value.strip() for value in row):
            samples.append([cell_unescape(value.strip()) for value in row])
            if len(samples) == SAMPLE_ROWS:
                break
    return samples


def sample_rows(data: bytes, plan: ImportPlan) -> list[list[str]]:
    """The file's first rows, shown on the mapping page under each column's name."""
    return _first_rows(plan.records(data))


def cell_names(cell: str) -> list[str]:
    """The list or tag names of a cell: `vip, опт`, or quoted as Mailchimp's TAGS are
    (`"VIP","Опт"` in the cell) and as our export writes a name holding a separator."""
    if '"' in cell:
        names = next(csv.reader([cell], skipinitialspace=True), [])
    else:
        names = LIST_SEPARATORS.split(cell)
    return [" ".join(name.split()) for name in names if name.strip()]


def names_cell(names: Sequence[str]) -> str:
    """Names as one cell that `cell_names` reads back."""
    quoted = (
        '"{}"'.format(name.replace('"', '""')) if re.search(r'[,;|"]', name) else name
        for name in names
    )
    return ", ".join(quoted)


@dataclass
class FileNames:
    """The lists and tags a file names that the owner has not got yet."""

    # Name → rows naming it (the first spelling met).
    lists: dict[str, int] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)

    # Names the mapping page shows of each (a wrong column may name thousands).
    SHOWN = 50

    @property
    def lists_shown(self) -> list[tuple[str, int]]:
        return list(self.lists.items())[: self.SHOWN]

    @property
    def tags_shown(self) -> list[str]:
        return self.tags[: self.SHOWN]

    @property
    def lists_more(self) -> int:
        return max(len(self.lists) - self.SHOWN, 0)

    @property
    def tags_more(self) -> int:
        return max(len(self.tags) - self.SHOWN, 0)


def new_names(*, owner, data: bytes, plan: ImportPlan) -> FileNames:
    """What confirming the plan creates: read through the whole file (the mapping page
    lists it before anything is written)."""
    found = FileNames()
    list_columns, tag_columns = plan.columns(Target.LISTS), plan.columns(Target.TAGS)
    if not list_columns and not tag_columns:
        return found
    lists = owner_lists_by_lowered_name(owner)
    tags = tags_by_lowered_name(owner)
    new_lists: dict[str, tuple[str, int]] = {}
    new_tags: dict[str, str] = {}
    for _line, row, _problem in plan.records(data):
        for name in {n.lower(): n for n in _cells_names(row, list_columns)}.values():
            if name.lower() not in lists:
                first, count = new_lists.get(name.lower(), (name, 0))
                new_lists[name.lower()] = (first, count + 1)
        for name in _cells_names(row, tag_columns, max_length=TAG_MAX_LENGTH):
            if name.lower() not in tags:
                new_tags.setdefault(name.lower(), name)
    found.lists = dict(new_lists.values())
    found.tags = sorted(new_tags.values(), key=str.lower)
    return found


def _cells_names(row: list[str], columns: list[int], *, max_length: int = 255) -> list[str]:
    return [
        name[:max_length]
        for index in columns
        if index < len(row)
        for name in cell_names(cell_unescape(row[index].strip()))
    ]


class ImportErrors:
    """Rows skipped, grouped by their problem: "499 rows: no list «Покупатели»", with a
    few of their lines and addresses, never one entry per row."""

    EXAMPLES = 5
    # Distinct problems kept; rarer ones past these count under one more group.
    GROUPS = 30

    def __init__(self):
        self.count = 0
        self.groups: dict[str, dict] = {}

    def add(self, line: int, email: str, reason: str, *, missing_list: str = "") -> None:
        self.count += 1
        if reason not in self.groups and len(self.groups) >= self.GROUPS:
            reason, missing_list = _("Other problems."), ""
        group = self.groups.setdefault(
            reason,
            {"reason": reason, "count": 0, "lines": [], "emails": [], "missing_list": ""},
        )
        group["count"] += 1
        group["missing_list"] = missing_list
        if len(group["lines"]) < self.EXAMPLES:
            group["lines"].append(line)
            if email:
                group["emails"].append(email[:100])

    def as_list(self) -> list[dict]:
        return sorted(self.groups.values(), key=lambda group: -group["count"])


@dataclass
class ImportResult(UpsertResult):
    # The skipped rows' problems, grouped (ImportErrors.as_list) and their rows in all.
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    lists_created: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged


class _Lists:
    """The owner's lists by name in lower case, a missing one created if the plan says so
    (at most MAX_NEW_LISTS)."""

    def __init__(self, owner, *, create: bool):
        self.owner, self.create = owner, create
        self.by_name = owner_lists_by_lowered_name(owner)
        self.created: list[str] = []

    def get(self, name: str) -> int | None:
        key = name.lower()
        if key not in self.by_name and self.create and len(self.created) < MAX_NEW_LISTS:
            try:
                with transaction.atomic():
                    new = MailingList.objects.create(owner=self.owner, name=name)
                self.by_name[key] = new.pk
                self.created.append(name)
            except IntegrityError:
                # Made meanwhile (another import, the list form): that one is as good.
                self.by_name = owner_lists_by_lowered_name(self.owner)
        return self.by_name.get(key)


def clients_import(
    *,
    owner,
    data: bytes,
    plan: ImportPlan | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Create new clients and update existing ones (matched by email, any case), reading
    the columns as `plan` says (by default as proposed from their names).

    Empty cells leave existing values alone; unsubscribed clients stay unsubscribed, and
    a new client whose address is on the owner's suppression list gets its status.
    Lists columns put the client on the owner's lists so named (a client who left one is
    not put back; a list missing is created when the plan says so); tags are created as
    needed. `on_progress` hears the number of rows read so far as the file is read, and
    the total at the end. The file is read outside any transaction and written in short
    ones, so that a large file never holds SQLite's write lock for long. A client added
    meanwhile with an address of the file raises IntegrityError; the rows written before
    stay, and importing the file again completes it (rows match by email).
    """
    if plan is None:
        plan, _samples = plan_upload(data)
        # Nobody saw what it would create (a job queued before the mapping step).
        plan.create_lists = False
    if problems := plan.problems():
        raise ImportFileError(problems[0])
    records = plan.records(data)
    (email_column,) = plan.columns(Target.EMAIL)
    name_columns, comment_columns = plan.columns(Target.FULL_NAME), plan.columns(Target.COMMENT)
    list_columns, tag_columns = plan.columns(Target.LISTS), plan.columns(Target.TAGS)
    field_columns = {
        plan.field_key(index): index
        for index in plan.columns(Target.FIELD) + plan.columns(Target.TIME_ZONE)
    }
    lists = _Lists(owner, create=plan.create_lists) if list_columns else None
    upsert = ClientsUpsert(owner=owner)
    errors = ImportErrors()
    seen: set[str] = set()
    # Email (lower case) → the lists and the tags its row names.
    joins: dict[str, tuple[list[int], list[str]]] = {}

    def cell(row: list[str], index: int) -> str:
        return cell_unescape(row[index].strip()) if index < len(row) else ""

    def joined(row: list[str], columns: list[int], separator: str) -> str:
        return separator.join(value for index in columns if (value := cell(row, index)))

    rows = 0
    for line, row, problem in records:
        rows += 1
        if on_progress is not None and rows % PROGRESS_ROWS == 0:
            on_progress(rows)
        if problem:
            errors.add(line, "", problem)
            continue
        if not any(value.strip() for value in row):
            continue
        email = cell(row, email_column)
        full_name = joined(row, name_columns, " ")
        if problem := email_problem(email) or name_problem(full_name):
            errors.add(line, email, problem)
            continue
        try:
            attributes = {
                key: attribute_value(cell(row, index), key=key)
                for key, index in field_columns.items()
                if cell(row, index)
            }
        except ValidationError as error:
            errors.add(line, email, error.messages[0])
            continue
        list_names = _cells_names(row, list_columns)
        list_ids = [lists.get(name) for name in list_names] if lists else []
        if None in list_ids:
            missing = list_names[list_ids.index(None)][:60]
            reason = _("You have no list named “%(name)s”.") % {"name": missing}
            errors.add(line, email, reason, missing_list=missing)
            continue
        key = email.lower()
        if key in seen:
            errors.add(line, email, _("The same email as an earlier line; only the first counts."))
            continue
        seen.add(key)
        tag_names = _cells_names(row, tag_columns, max_length=TAG_MAX_LENGTH)
        if list_ids or tag_names:
            joins[key] = (list_ids, tag_names)
        client = ClientRow(
            email=email,
            full_name=full_name,
            comment=joined(row, comment_columns, "\n"),
            attributes=attributes,
        )
        if problem := upsert.add(client):
            errors.add(line, email, problem)

    if on_progress is not None:
        on_progress(rows)
    written = upsert.write()
    # The columns' own names stay the fields' names («Город», whose key is gorod).
    attribute_labels_note(
        owner.pk,
        {
            key: " ".join(plan.header[index].split())[:MAX_LABEL_LENGTH] or key
            for key, index in field_columns.items()
            if key != TIME_ZONE_KEY
        },
    )
    if joins:
        clients_join_lists_and_tags(owner=owner, joins=joins)
    return ImportResult(
        **vars(written),
        errors=errors.as_list(),
        error_count=errors.count,
        lists_created=lists.created if lists else [],
    )


def clients_csv_lines(
    clients: QuerySet[Client],
    *,
    zone: tzinfo,
    with_owner: bool = False,
    attribute_keys: Sequence[str] = (),
) -> Iterator[str]:
    """The lines of the export, produced as the rows are read (never all in memory).
    The lists a client is subscribed to and its tags are a column each, custom fields
    one column each (`attribute_keys`), so that the file imports back as it was."""
    header = [*EXPORT_HEADER, *(["owner"] if with_owner else [])]
    fields = ["pk", *COLUMNS, "unsubscribed_at", "status", "attributes"]
    fields += ["owner__email"] if with_owner else []

    def rows():
        batch: list[tuple] = []
        for values in clients.values_list(*fields).iterator(chunk_size=EXPORT_BATCH):
            batch.append(values)
            if len(batch) == EXPORT_BATCH:
                yield from batch_rows(batch)
                batch = []
        yield from batch_rows(batch)

    def batch_rows(batch: list[tuple]):
        lists, tags = _names_of_clients([values[0] for values in batch])
        for values in batch:
            pk, email, full_name, comment, unsubscribed_at, status, attributes, *owner = values
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
                names_cell(lists.get(pk, [])),
                names_cell(tags.get(pk, [])),
                *owner,
                *(attributes.get(key, "") for key in attribute_keys),
            ]

    return csv_lines([*header, *attribute_keys], rows())


# Clients whose lists and tags the export reads in one query each.
EXPORT_BATCH = 2000


def _names_of_clients(ids: list[int]) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """The lists each client is subscribed to and its tags, by client id (sorted names)."""
    lists: dict[int, list[str]] = {}
    tags: dict[int, list[str]] = {}
    subscribed = Membership.objects.filter(
        client_id__in=ids, status=Membership.Status.SUBSCRIBED
    ).order_by("mailing_list__name")
    for client_id, name in subscribed.values_list("client_id", "mailing_list__name"):
        lists.setdefault(client_id, []).append(name)
    tagged = Tag.clients.through.objects.filter(client_id__in=ids).order_by("tag__name")
    for client_id, name in tagged.values_list("client_id", "tag__name"):
        tags.setdefault(client_id, []).append(name)
    return lists, tags
