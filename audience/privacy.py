"""A client's personal data on request: all that is kept about them (export), or none
of it any more (erase).

Erasing keeps the history of the runs true: the client's deliveries stay, counted as
before, but no longer say who they went to (address and name blanked, the link to the
client cut, the address taken out of the servers' replies); one still waiting in a run
under way is failed instead of sent, and an erased row is never sent again. The
owner's outgoing webhook messages about the client keep their event, without the
address, name or servers' replies naming them. An address on the owner's suppression
list stays on it, by its hash alone (audience/suppressions.py): erased, it is still
never mailed again.

The rooms above keep their own data about the client (the engine its deliveries,
webhooks its messages): they export and forget it on audience's signals.
"""

from django.db import transaction
from django.utils import timezone

from .models import Client
from .signals import client_erasing, client_exporting
from .suppressions import suppression_forget_address, suppressions_held


def client_export(client: Client) -> dict:
    """Everything stored about `client`, as JSON-ready data."""
    return {
        "exported_at": timezone.now(),
        "client": {
            "email": client.email,
            "full_name": client.full_name,
            "comment": client.comment,
            "status": client.status,
            "unsubscribed_at": client.unsubscribed_at,
            "created_at": client.created_at,
            "updated_at": client.updated_at,
        },
        "attributes": client.attributes,
        "tags": list(client.tags.order_by("name").values_list("name", flat=True)),
        "lists": [
            {
                "list": membership.mailing_list.name,
                "status": membership.status,
                "added_at": membership.created_at,
                "confirmed_at": membership.confirmed_at,
                "left_at": membership.left_at,
            }
            for membership in client.memberships.select_related("mailing_list").order_by("pk")
        ],
        "consents": [
            {
                "list": consent.mailing_list.name if consent.mailing_list else None,
                "source": consent.source,
                "ip_address": consent.ip_address,
                "user_agent": consent.user_agent,
                "created_at": consent.created_at,
                "confirmed_at": consent.confirmed_at,
            }
            for consent in client.consents.select_related("mailing_list").order_by("pk")
        ],
        **_kept_above(client),
        "suppression": _suppression_export(client),
        "bounces_and_complaints": [
            {
                "kind": event.kind,
                "source": event.source,
                "email": event.email,
                "status_code": event.status_code,
                "server_response": event.server_response,
                "date": event.created_at,
            }
            for event in client.feedback_events.order_by("created_at", "pk")
        ],
    }


def _kept_above(client: Client) -> dict:
    """The sections other rooms keep about the client (its deliveries, say)."""
    sections = {}
    for _receiver, section in client_exporting.send(sender=Client, client=client):
        sections |= section
    return sections


def _suppression_export(client: Client) -> dict | None:
    held = suppressions_held(owner_id=client.owner_id, emails=[client.email])
    suppression = next(iter(held.values()), None)
    if suppression is None:
        return None
    return {"reason": suppression.reason, "date": suppression.suppressed_at}


@transaction.atomic
def client_erase(client: Client) -> None:
    """Delete the client with its memberships, consents, tags, bounces and complaints;
    its deliveries stay, anonymous."""
    client_erasing.send(
        sender=Client, client=client, addresses={client.email, client.email.lower()}
    )
    suppression_forget_address(owner_id=client.owner_id, email=client.email)
    client.delete()
