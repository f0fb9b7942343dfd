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

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import Client, Suppression

HASH_SALT = "audience.suppression"
# Addresses looked up per statement (as the client upsert does).
BATCH_SIZE = 1000

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
