"""The one client upsert: an owner's clients added and updated by the many, matched by
email in any case. Both doors come here: the CSV import (audience/client_csv.py),
which reports a bad row and goes on, and the API's bulk call (`clients_upsert` below),
which refuses the whole call for one bad row.

The rules are the same through either door: an empty value (a blank cell, an empty or
missing field) keeps what the client has; the fields a row names are set and the
client's others kept; unsubscribed clients stay unsubscribed, and a new client whose
address is on the owner's suppression list gets its status.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .attributes import (
    MAX_FIELDS,
    attribute_keys_changed,
    attribute_labels_note,
    attribute_labels_of,
    clean_attributes,
    too_many_fields_error,
)
from .models import Client
from .status import clients_hold

# Addresses looked up, rows inserted and rows updated per statement.
BATCH_SIZE = 1000
# Rows written per transaction (about 0.2 s of SQLite's write lock).
WRITE_BATCH_SIZE = 5000
NAME_MAX_LENGTH = Client._meta.get_field("full_name").max_length
EMAIL_MAX_LENGTH = Client._meta.get_field("email").max_length
UPSERT_FIELDS = ("email", "full_name", "comment")


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Of `created`: addresses on the owner's suppression list, created with its status.
    suppressed: int = 0


@dataclass(frozen=True)
class ClientRow:
    """One client as a door read it; empty values keep the client's own."""

    email: str
    full_name: str = ""
    comment: str = ""
    attributes: dict[str, str] = field(default_factory=dict)


def email_problem(email: str) -> str | None:
    """Why the address cannot be a client's, if it cannot."""
    if not email:
        return _("The email is missing.")
    try:
        if len(email) > EMAIL_MAX_LENGTH:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        # Worded as these doors always had it, apart from the room's other forms.
        return pgettext("client upsert", "This is not a valid email address.")
    return None


def name_problem(full_name: str) -> str | None:
    if len(full_name) > NAME_MAX_LENGTH:
        return _("The name is longer than %(max)d characters.") % {"max": NAME_MAX_LENGTH}
    return None


class ClientsUpsert:
    """One upsert of an owner's clients: rows are added as a door reads them (each
    address once, checked by the door), then written in a few statements."""

    def __init__(self, *, owner, keys: Sequence[str] | None = None):
        """`keys`: the lower-cased addresses the rows will have, looked up a batch at a
        time; None reads all the owner's clients at once (a file read as it comes)."""
        self.owner = owner
        self.existing: dict[str, tuple[int, str, str, dict]] = {}
        clients = Client.objects.owned_by(owner).annotate(key=Lower("email"))
        fields = ("key", "pk", "full_name", "comment", "attributes")
        batches = (
            [clients.values_list(*fields)]
            if keys is None
            else (
                clients.filter(key__in=keys[start : start + BATCH_SIZE]).values_list(*fields)
                for start in range(0, len(keys), BATCH_SIZE)
            )
        )
        for found in batches:
            self.existing.update((key, (pk, *values)) for key, pk, *values in found)
        self.result = UpsertResult()
        self.to_create: list[Client] = []
        self.to_update: list[tuple[str, str, int]] = []
        self.to_update_attributes: list[tuple[dict, int]] = []
        self.with_attributes = False

    def add(self, row: ClientRow) -> str | None:
        """Plan the row's write; the problem that refuses it, if any (too many fields)."""
        full_name, comment = row.full_name.strip(), row.comment.strip()
        key = row.email.lower()
        if key in self.existing:
            pk, old_name, old_comment, old_attributes = self.existing[key]
            new_name, new_comment = full_name or old_name, comment or old_comment
            new_attributes = {**old_attributes, **row.attributes}
            if len(new_attributes) > MAX_FIELDS:
                return too_many_fields_error(len(new_attributes)).messages[0]
            if (new_name, new_comment, new_attributes) == (old_name, old_comment, old_attributes):
                self.result.unchanged += 1
            if (new_name, new_comment) != (old_name, old_comment):
                self.to_update.append((new_name, new_comment, pk))
            if new_attributes != old_attributes:
                self.to_update_attributes.append((new_attributes, pk))
        else:
            self.to_create.append(
                Client(
                    owner=self.owner,
                    email=row.email,
                    full_name=full_name,
                    comment=comment,
                    attributes=row.attributes,
                )
            )
        self.with_attributes = self.with_attributes or bool(row.attributes)
        return None

    def write(self) -> UpsertResult:
        """Write the planned rows in short transactions: SQLite has one writer at a time,
        and 400,000 rows in one transaction held it for 13 s, near the busy timeout of
        every other writer. A client added meanwhile with an address of the rows raises
        IntegrityError; the batches written before stay (writing the rows again completes
        it: they match by email)."""
        result = self.result
        result.suppressed = clients_hold(owner_id=self.owner.pk, clients=self.to_create)
        now = timezone.now()
        for start in range(0, len(self.to_create), WRITE_BATCH_SIZE):
            with transaction.atomic():
                Client.objects.bulk_create(
                    self.to_create[start : start + WRITE_BATCH_SIZE], batch_size=BATCH_SIZE
                )
        for start in range(0, len(self.to_update), WRITE_BATCH_SIZE):
            with transaction.atomic():
                _update_names(self.to_update[start : start + WRITE_BATCH_SIZE], now=now)
        for start in range(0, len(self.to_update_attributes), WRITE_BATCH_SIZE):
            with transaction.atomic():
                _update_attributes(
                    self.to_update_attributes[start : start + WRITE_BATCH_SIZE], now=now
                )
        if self.with_attributes:
            attribute_keys_changed(self.owner.pk)
        updated = {pk for *_values, pk in self.to_update}
        updated |= {pk for _values, pk in self.to_update_attributes}
        result.created, result.updated = len(self.to_create), len(updated)
        return result


def _update_names(rows: list[tuple[str, str, int]], *, now) -> None:
    """Update (full_name, comment, pk) rows with one statement run many times.

    bulk_update() builds a CASE expression per row in Python: 10,000 rows took ~5 s,
    almost all of it outside the database. A plain parameterised UPDATE takes ~0.1 s.
    """
    quote = connection.ops.quote_name
    field = Client._meta.get_field
    sql = "UPDATE {} SET {} = %s, {} = %s, {} = %s WHERE {} = %s".format(
        quote(Client._meta.db_table),
        *(quote(field(name).column) for name in ("full_name", "comment", "updated_at", "id")),
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH_SIZE):
            batch = rows[start : start + BATCH_SIZE]
            cursor.executemany(sql, [(name, comment, stamp, pk) for name, comment, pk in batch])


def _update_attributes(rows: list[tuple[dict, int]], *, now) -> None:
    """Update (attributes, pk) rows with one statement run many times (see _update_names)."""
    quote = connection.ops.quote_name
    field = Client._meta.get_field
    sql = "UPDATE {} SET {} = %s, {} = %s WHERE {} = %s".format(
        quote(Client._meta.db_table),
        *(quote(field(name).column) for name in ("attributes", "updated_at", "id")),
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    prepare = field("attributes").get_db_prep_save
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH_SIZE):
            batch = rows[start : start + BATCH_SIZE]
            cursor.executemany(
                sql, [(prepare(values, connection), stamp, pk) for values, pk in batch]
            )


# The API's door: all or nothing.


class ClientRowsInvalid(Exception):
    """Some rows were refused; nothing was written. `errors`: row index → field → messages."""

    def __init__(self, errors: dict[int, dict[str, list[str]]]):
        super().__init__(errors)
        self.errors = errors


def _row_errors(row, index: int, seen: dict[str, int]) -> dict[str, list[str]]:
    if not isinstance(row, dict):
        return {"non_field_errors": [_("Each client is an object with an email.")]}
    errors: dict[str, list[str]] = {}
    for name in UPSERT_FIELDS:
        value = row.get(name)
        if value is not None and not isinstance(value, str):
            errors[name] = [_("Not a valid string.")]
        elif isinstance(value, str) and "\x00" in value:
            errors[name] = [pgettext("client upsert", "Null characters are not allowed.")]
    if errors:
        return errors
    email = (row.get("email") or "").strip()
    if problem := email_problem(email):
        return {"email": [problem]}
    if problem := name_problem((row.get("full_name") or "").strip()):
        return {"full_name": [problem]}
    if row.get("attributes") is not None:
        try:
            row["attributes"] = clean_attributes(row["attributes"])
        except ValidationError as error:
            return {"attributes": error.messages}
    key = email.lower()
    if key in seen:
        return {"email": [_("The same email as client %(index)d.") % {"index": seen[key]}]}
    seen[key] = index
    return {}


@transaction.atomic
def clients_upsert(*, owner, rows: list) -> UpsertResult:
    """The API's bulk call: every row is checked first and one bad row writes nothing.
    A row is {"email", and optionally "full_name", "comment", "attributes"}."""
    seen: dict[str, int] = {}
    # The fields' names as sent, before the check makes them keys («Город» → gorod).
    typed = {
        name: ""
        for row in rows
        if isinstance(row, dict) and isinstance(row.get("attributes"), dict)
        for name in row["attributes"]
    }
    errors = {
        index: problems
        for index, row in enumerate(rows)
        if (problems := _row_errors(row, index, seen))
    }
    if errors:
        raise ClientRowsInvalid(errors)
    upsert = ClientsUpsert(owner=owner, keys=list(seen))
    for index, row in enumerate(rows):
        problem = upsert.add(
            ClientRow(
                email=row["email"].strip(),
                full_name=row.get("full_name") or "",
                comment=row.get("comment") or "",
                attributes=row.get("attributes") or {},
            )
        )
        if problem:
            raise ClientRowsInvalid({index: {"attributes": [problem]}})
    attribute_labels_note(owner.pk, attribute_labels_of(typed))
    return upsert.write()
