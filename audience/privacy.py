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
"""

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Replace
from django.utils import timezone

from sending.models import Attempt, Delivery
from webhooks.models import WebhookMessage

from .models import Client
from .suppressions import suppression_forget_address, suppressions_held

# Stored like a server's reply, so not translated.
NOT_SENT_ERASED = "Not sent: the recipient's data was erased."


def client_export(client: Client) -> dict:
    """Everything stored about `client`, as JSON-ready data."""
    deliveries = (
        Delivery.objects.filter(client=client)
        .select_related("attempt__mailing__message")
        .order_by("attempt__started_at", "pk")
    )
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
        "deliveries": [
            {
                "date": delivery.sent_at or delivery.attempt.started_at,
                "mailing": delivery.attempt.mailing.title,
                "subject": delivery.attempt.mailing.message.subject,
                "email": delivery.email,
                "status": delivery.status,
                "server_response": delivery.server_response,
            }
            for delivery in deliveries.iterator(chunk_size=500)
        ],
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


def _suppression_export(client: Client) -> dict | None:
    held = suppressions_held(owner_id=client.owner_id, emails=[client.email])
    suppression = next(iter(held.values()), None)
    if suppression is None:
        return None
    return {"reason": suppression.reason, "date": suppression.suppressed_at}


def _without(column: str, addresses: set[str]):
    """`column` with every address in it replaced by nothing."""
    expression = F(column)
    for address in addresses:
        expression = Replace(expression, Value(address), Value(""))
    return expression


@transaction.atomic
def client_erase(client: Client) -> None:
    """Delete the client with its memberships, consents, tags, bounces and complaints;
    its deliveries stay, anonymous."""
    addresses = {client.email, client.email.lower()}
    deliveries = Delivery.objects.filter(client=client)
    # A run under way sends nothing more to them: its row is over, and says why.
    deliveries.filter(status=Delivery.Status.PENDING).update(
        status=Delivery.Status.FAILED, server_response=NOT_SENT_ERASED
    )
    Attempt.objects.filter(pk__in=deliveries.values("attempt_id")).update(
        server_response=_without("server_response", addresses)
    )
    deliveries.update(
        client=None,
        email="",
        full_name="",
        server_response=_without("server_response", addresses),
    )
    _webhook_messages_scrub(client, addresses)
    suppression_forget_address(owner_id=client.owner_id, email=client.email)
    client.delete()


def _webhook_messages_scrub(client: Client, addresses: set[str]) -> None:
    messages = WebhookMessage.objects.filter(
        endpoint__owner_id=client.owner_id, payload__data__client_id=client.pk
    )
    for message in messages.iterator(chunk_size=500):
        data = message.payload["data"]
        data |= {field: "" for field in ("email", "full_name") if field in data}
        if data.get("server_response"):
            for address in addresses:
                data["server_response"] = data["server_response"].replace(address, "")
        message.save(update_fields=["payload"])
