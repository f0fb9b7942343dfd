"""The owner's suppression list: the addresses that unsubscribed, bounced or complained
(or that the owner imported from another service) stay kept from mailings however they
come back: a client deleted and added again through the form, a CSV import, the API,
its bulk call or a public sign-up form.

An address is known by its key: trimmed and lower-cased, as the client's own uniqueness
is (`client_email_unique_per_owner`). A `+tag` is not folded: `anna+news@` and `anna@`
are two clients here, and the person who left under one of them chose for that one
(providers differ on what a `+` means; folding would suppress addresses nobody asked
about). The row stores an HMAC of the key (keyed from FIELD_ENCRYPTION_KEY: the first
key hashes, every key matches, so rotating it as documented keeps the list), and the
key itself in clear until the client is erased (audience/privacy.py), so that the
suppression page can name it.
"""

import contextlib
import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import Client, Suppression

HASH_SALT = "audience.suppression"
# Addresses looked up or written per statement (as mailings.csv_files does).
BATCH_SIZE = 1000
# An import of suppressed addresses is one request: it stays small enough for one.
IMPORT_MAX_ADDRESSES = 100_000
EMAIL_MAX_LENGTH = Client._meta.get_field("email").max_length
# The address column of the lists other services export (Mailchimp: "Email Address";
# listmonk, SendGrid, Brevo: "email").
EMAIL_COLUMNS = ("email", "email address", "e-mail", "e-mail address", "emailaddress")
# Shown on the page after an import; the count says how many there were in all.
PROBLEMS_SHOWN = 20

Reason = Suppression.Reason
# What the holder of an address may end themselves (Suppression.recipient_may_lift).
RECIPIENT_MAY_LIFT = (Reason.UNSUBSCRIBED, Reason.IMPORTED)
# The client statuses that put an address on the list, with their reason.
REASON_OF_STATUS = {
    Client.Status.UNSUBSCRIBED: Reason.UNSUBSCRIBED,
    Client.Status.BOUNCED: Reason.BOUNCED,
    Client.Status.COMPLAINED: Reason.COMPLAINED,
}


def address_key(email: str) -> str:
    return email.strip().lower()


def address_hashes(email: str) -> list[str]:
    """The address's HMAC under each FIELD_ENCRYPTION_KEY; the first is the one written."""
    key = address_key(email)
    return [
        salted_hmac(HASH_SALT, key, secret=secret, algorithm="sha256").hexdigest()
        for secret in settings.FIELD_ENCRYPTION_KEY
    ]


def suppressions_held(*, owner_id: int, emails: Iterable[str]) -> dict[str, Suppression]:
    """The owner's suppressions of these addresses, by address key."""
    by_hash = {
        digest: key
        for key in {address_key(email) for email in emails}
        for digest in address_hashes(key)
    }
    digests = list(by_hash)
    found: dict[str, Suppression] = {}
    for start in range(0, len(digests), BATCH_SIZE):
        held = Suppression.objects.held().filter(
            owner_id=owner_id, address_hash__in=digests[start : start + BATCH_SIZE]
        )
        found.update((by_hash[row.address_hash], row) for row in held)
    return found


def suppression_of(*, owner_id: int, email: str) -> Suppression | None:
    return suppressions_held(owner_id=owner_id, emails=[email]).get(address_key(email))


def suppression_notice(*, email: str, suppression: Suppression) -> str:
    """What the owner is told when a suppressed address comes back."""
    return _(
        "%(email)s is on your suppression list (%(reason)s, %(date)s): the client is "
        "“%(status)s” and receives no mailings."
    ) % {
        "email": email,
        "reason": suppression.get_reason_display().lower(),
        "date": date_format(timezone.localtime(suppression.suppressed_at), "SHORT_DATE_FORMAT"),
        "status": Client.Status(suppression.client_status).label,
    }


def clients_hold(*, owner_id: int, clients: Sequence[Client]) -> int:
    """Give each new client whose address is suppressed the status it keeps (before it
    is saved); how many were."""
    held = suppressions_held(owner_id=owner_id, emails=[client.email for client in clients])
    for client in clients:
        if (suppression := held.get(address_key(client.email))) is not None:
            suppression.hold(client)
    return sum(address_key(client.email) in held for client in clients)


def suppression_record(*, client: Client, status: str, at: datetime | None = None) -> None:
    """The client's status became `status` (unsubscribed, bounced or complained): its
    address is suppressed for that reason, the latest reason winning, except that an
    unsubscribe never softens a bounce or a complaint (which the recipient could then
    lift by a link)."""
    reason = REASON_OF_STATUS[status]
    at = at or timezone.now()
    hashes = address_hashes(client.email)
    values = {"reason": reason, "suppressed_at": at, "email": address_key(client.email)}
    held = Suppression.objects.held().filter(owner_id=client.owner_id, address_hash__in=hashes)
    if reason in RECIPIENT_MAY_LIFT and held.exclude(reason__in=RECIPIENT_MAY_LIFT).exists():
        return
    if held.update(**values):
        return
    try:
        with transaction.atomic():
            Suppression.objects.create(owner_id=client.owner_id, address_hash=hashes[0], **values)
    except IntegrityError:  # the same address recorded in parallel
        held.update(**values)


def suppression_lift(*, owner_id: int, email: str, by: str, reason: str = "") -> bool:
    """The address may be mailed again: the owner reactivated it, or its holder
    confirmed a sign-up (which ends their own unsubscribe or an import, never a bounce
    or a complaint). The row stays, with who lifted it and why."""
    held = Suppression.objects.held().filter(
        owner_id=owner_id, address_hash__in=address_hashes(email)
    )
    if by == Suppression.LiftedBy.RECIPIENT:
        held = held.filter(reason__in=RECIPIENT_MAY_LIFT)
    lifted = held.update(lifted_at=timezone.now(), lifted_by=by, lift_reason=reason[:500])
    return bool(lifted)


def suppression_forget_address(*, owner_id: int, email: str) -> None:
    """Erasure: the address is no longer kept in clear; its suppression stays."""
    Suppression.objects.filter(owner_id=owner_id, address_hash__in=address_hashes(email)).update(
        email=""
    )


# Importing a list of suppressed addresses.


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
        clients_held += (
            Client.objects.owned_by(owner)
            .alias(key=Lower("email"))
            .filter(key__in=new, status=Client.Status.ACTIVE)
            .update(status=Client.Status.UNSUBSCRIBED, unsubscribed_at=now, updated_at=now)
        )
    return ImportedSuppressions(added=added, already=len(keys) - added, clients_held=clients_held)
