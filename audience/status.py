"""Every change of a client's status is made here and nowhere else (a test reads the
source tree for writes elsewhere: audience/tests/test_status.py).

A status changes for a reason, and each reason leaves only some statuses
(`TRANSITIONS`): a link the recipient follows never makes a bounced or complained
address active again, nor softens it to an unsubscribe they could take back; only the
owner lifts those, with a note kept on the suppression list. The side effects of a
change go with it: the suppression list's row, the unsubscribe date, and the signals
other rooms hear (audience/signals.py).
"""

import enum

from django.db import transaction
from django.db.models import Case, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Client, Suppression
from .signals import subscriber_confirmed
from .suppressions import (
    address_key,
    suppression_lift,
    suppression_of,
    suppression_record,
    suppressions_held,
)

Status = Client.Status


class Reason(enum.StrEnum):
    UNSUBSCRIBE = "unsubscribe"  # the recipient's link, one-click or their provider's
    RESUBSCRIBE = "resubscribe"  # the recipient took their unsubscribe back on its page
    CONFIRMATION = "confirmation"  # the recipient followed a sign-up's link
    BOUNCE = "bounce"  # a hard bounce, or soft ones past the limit (feedback)
    COMPLAINT = "complaint"  # a spam complaint (feedback)
    OWNER = "owner"  # the owner vouches for the address again
    SUPPRESSION_IMPORT = "suppression_import"  # the owner imported it as not to be mailed


# (new status, reason) → the statuses a client may leave for it.
TRANSITIONS: dict[tuple[str, Reason], frozenset[str]] = {
    # A bounced address keeps its status and gets the date (client_set_status).
    (Status.UNSUBSCRIBED, Reason.UNSUBSCRIBE): frozenset(
        {Status.ACTIVE, Status.PENDING, Status.UNSUBSCRIBED, Status.BOUNCED}
    ),
    (Status.ACTIVE, Reason.RESUBSCRIBE): frozenset({Status.UNSUBSCRIBED}),
    (Status.ACTIVE, Reason.CONFIRMATION): frozenset({Status.PENDING, Status.UNSUBSCRIBED}),
    (Status.BOUNCED, Reason.BOUNCE): frozenset({Status.ACTIVE}),
    # A complaint outranks the rest.
    (Status.COMPLAINED, Reason.COMPLAINT): frozenset(
        {Status.ACTIVE, Status.PENDING, Status.UNSUBSCRIBED, Status.BOUNCED}
    ),
    # Also an unsubscribe the owner imported (client_set_status), never the recipient's own.
    (Status.ACTIVE, Reason.OWNER): frozenset({Status.BOUNCED, Status.COMPLAINED}),
    (Status.UNSUBSCRIBED, Reason.SUPPRESSION_IMPORT): frozenset({Status.ACTIVE}),
}
# The reasons many clients change for in one statement: none has a side effect per client.
BULK_REASONS = (Reason.SUPPRESSION_IMPORT,)


def _sources(to: str, reason: Reason) -> frozenset[str]:
    try:
        return TRANSITIONS[(to, reason)]
    except KeyError:
        raise ValueError(f"A client does not become {to!r} for {reason!r}.") from None


def _values(to: str, reason: Reason, at) -> dict:
    """The columns the change writes besides the status."""
    if reason == Reason.UNSUBSCRIBE:
        bounced = When(status=Status.BOUNCED, then=Value(Status.BOUNCED))
        return {"status": Case(bounced, default=Value(to)), "unsubscribed_at": at}
    if reason == Reason.COMPLAINT:
        # A complaint also unsubscribes; an earlier unsubscribe keeps its date.
        return {"status": to, "unsubscribed_at": Coalesce("unsubscribed_at", Value(at))}
    if reason == Reason.BOUNCE:
        return {"status": to}
    if reason == Reason.SUPPRESSION_IMPORT:
        return {"status": to, "unsubscribed_at": at, "updated_at": at}
    if reason == Reason.CONFIRMATION:
        return {"status": to, "unsubscribed_at": None, "updated_at": at}
    return {"status": to, "unsubscribed_at": None}


@transaction.atomic
def client_set_status(*, client: Client, to: str, reason: Reason, note: str = "", at=None) -> bool:
    """Move the client to status `to` for `reason` if its status allows (TRANSITIONS);
    True if it changed. `note`: the owner's why, kept on the suppression list when they
    reactivate an address; `at`: when it happened (now by default). The client object
    is refreshed from its row."""
    sources = _sources(to, reason)
    at = at or timezone.now()
    if reason == Reason.OWNER:
        suppression = suppression_of(owner_id=client.owner_id, email=client.email)
        if suppression is not None and not suppression.owner_may_lift:
            return False  # the recipient's own unsubscribe: theirs to undo
        if suppression is not None and suppression.reason == Suppression.Reason.IMPORTED:
            sources |= {Status.UNSUBSCRIBED}
    rows = Client.objects.filter(pk=client.pk, status__in=sources)
    if reason == Reason.UNSUBSCRIBE:
        rows = rows.filter(unsubscribed_at__isnull=True)
    changed = bool(rows.update(**_values(to, reason, at)))
    client.refresh_from_db(fields=["status", "unsubscribed_at", "updated_at"])
    if not changed:
        return False
    if reason in (Reason.UNSUBSCRIBE, Reason.BOUNCE, Reason.COMPLAINT):
        # An unsubscribe never softens a bounce on the list (suppression_record).
        suppression_record(client=client, status=to, at=at)
    elif reason in (Reason.RESUBSCRIBE, Reason.CONFIRMATION):
        # Their own choice, made from their mailbox: it ends their unsubscribe.
        suppression_lift(
            owner_id=client.owner_id, email=client.email, by=Suppression.LiftedBy.RECIPIENT
        )
    elif reason == Reason.OWNER:
        suppression_lift(
            owner_id=client.owner_id,
            email=client.email,
            by=Suppression.LiftedBy.OWNER,
            reason=note,
        )
    if reason == Reason.CONFIRMATION:
        subscriber_confirmed.send(sender=client_set_status, client=client)
    return True


def clients_set_status(clients: QuerySet[Client], *, to: str, reason: Reason, at=None) -> int:
    """client_set_status for many clients in one statement, for the reasons that have no
    side effect per client (BULK_REASONS); how many changed."""
    if reason not in BULK_REASONS:
        raise ValueError(f"{reason!r} changes one client at a time.")
    sources = _sources(to, reason)
    return clients.filter(status__in=sources).update(**_values(to, reason, at or timezone.now()))


# Clients not saved yet: their first status, written with the row.


def client_hold(*, client: Client, suppression: Suppression) -> None:
    """Give an unsaved (or just changed) client the status its address keeps on the
    suppression list (Suppression.client_status); the caller saves it."""
    client.status = suppression.client_status
    if client.status != Status.BOUNCED:
        client.unsubscribed_at = client.unsubscribed_at or suppression.suppressed_at


def clients_hold(*, owner_id: int, clients: list[Client]) -> int:
    """Give each new client whose address is suppressed the status it keeps (before it
    is saved); how many were."""
    held = suppressions_held(owner_id=owner_id, emails=[client.email for client in clients])
    for client in clients:
        if (suppression := held.get(address_key(client.email))) is not None:
            client_hold(client=client, suppression=suppression)
    return sum(address_key(client.email) in held for client in clients)


def client_status_new(*, client: Client, pending: bool, suppression: Suppression | None) -> None:
    """A client a sign-up form is about to create: waiting for its confirmation on a
    double opt-in list, else active; an address the suppression list holds keeps its
    status there."""
    client.status = Status.PENDING if pending else Status.ACTIVE
    if suppression is not None:
        client_hold(client=client, suppression=suppression)
