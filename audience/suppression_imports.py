"""Importing a list of suppressed addresses (pasted, or as other services export it):
read, then suppress each address and stop mailing the owner's clients that have it."""

import contextlib
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Client, Suppression
from .status import Reason as StatusReason
from .status import clients_set_status
from .suppressions import BATCH_SIZE, address_hashes, address_key, suppressions_held

Reason = Suppression.Reason
# An import of suppressed addresses is one request: it stays small enough for one.
IMPORT_MAX_ADDRESSES = 100_000
EMAIL_MAX_LENGTH = Client._meta.get_field("email").max_length
# The address column of the lists other services export (Mailchimp: "Email Address";
# listmonk, SendGrid, Brevo: "email").
EMAIL_COLUMNS = ("email", "email address", "e-mail", "e-mail address", "emailaddress")
# Shown on the page after an import; the count says how many there were in all.
PROBLEMS_SHOWN = 20


@dataclass(frozen=True)
class AddressProblem:
    line: int
    value: str
    reason: str


@dataclass
class ReadAddresses:
    addresses: list[str] = field(default_factory=list)
    problems: list[AddressProblem] = field(default_factory=list)


def _email_column(cells: list[str]) -> int | None:
    names = [cell.strip().strip('"').lstrip("\ufeff").strip().lower() for cell in cells]
    return next((index for index, name in enumerate(names) if name in EMAIL_COLUMNS), None)


def suppressed_addresses_read(text: str) -> ReadAddresses:
    """The addresses of a pasted or uploaded list: one a line, or a CSV file whose
    header names an email column (as Mailchimp, listmonk and others export them)."""
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    column = _email_column(first_line.split(delimiter))
    read = ReadAddresses()
    if column is None:
        lines = enumerate(text.lstrip("\ufeff").splitlines(), start=1)
        rows = ((line, [value]) for line, value in lines)
    else:
        rows = _csv_rows(text.lstrip("\ufeff"), delimiter, read)
    for line, cells in rows:
        value = cells[column or 0].strip() if len(cells) > (column or 0) else ""
        if not value:
            continue
        if "\x00" in value:
            read.problems.append(AddressProblem(line, "", _("This line holds a NUL character.")))
            continue
        try:
            if len(value) > EMAIL_MAX_LENGTH:
                raise ValidationError("too long")
            validate_email(value)
        except ValidationError:
            problem = AddressProblem(line, value[:100], _("This is not a valid email address."))
            read.problems.append(problem)
            continue
        read.addresses.append(value)
    return read


def _csv_rows(text: str, delimiter: str, read: ReadAddresses):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    with contextlib.suppress(csv.Error, StopIteration):
        next(reader)  # the header
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            problem = _("This line cannot be read as CSV.")
            read.problems.append(AddressProblem(reader.line_num, "", problem))
            continue
        yield reader.line_num, row


@dataclass(frozen=True)
class ImportedSuppressions:
    added: int
    already: int
    clients_held: int


@transaction.atomic
def suppressions_import(*, owner, addresses: Iterable[str]) -> ImportedSuppressions:
    """Suppress each address for the reason "imported" (one suppressed already keeps
    its reason); the owner's active clients with these addresses stop receiving."""
    keys = list(dict.fromkeys(address_key(address) for address in addresses))
    now = timezone.now()
    added = clients_held = 0
    for start in range(0, len(keys), BATCH_SIZE):
        batch = keys[start : start + BATCH_SIZE]
        held = suppressions_held(owner_id=owner.pk, emails=batch)
        new = [key for key in batch if key not in held]
        created = Suppression.objects.bulk_create(
            [
                Suppression(
                    owner=owner,
                    address_hash=address_hashes(key)[0],
                    email=key,
                    reason=Reason.IMPORTED,
                    suppressed_at=now,
                )
                for key in new
            ],
            ignore_conflicts=True,  # the same address suppressed in parallel
        )
        added += len(created)
        clients_held += clients_set_status(
            Client.objects.owned_by(owner).alias(key=Lower("email")).filter(key__in=new),
            to=Client.Status.UNSUBSCRIBED,
            reason=StatusReason.SUPPRESSION_IMPORT,
            at=now,
        )
    return ImportedSuppressions(added=added, already=len(keys) - added, clients_held=clients_held)
