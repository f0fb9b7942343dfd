"""Webhooks ride on the engine's beat: each scheduler tick (embedded or Celery beat)
collects events and sends what is due, never inside a web request.

The events without a column to read them from arrive as signals, inside the transaction
of the service that caused them; their messages are recorded there and sent on a beat.
"""

from django.dispatch import receiver
from django.utils import timezone

from audience.models import Client
from audience.signals import client_erasing
from feedback.signals import client_suppressed
from mailings.signals import subscriber_confirmed
from sending.conf import celery_enabled
from sending.models import Delivery
from sending.signals import deliveries_marked_failed, ticked

from .dispatch import listeners_of, messages_record, webhooks_pass
from .models import Endpoint, EventType, WebhookMessage


@receiver(ticked)
def send_webhooks(sender, **kwargs):
    if not Endpoint.objects.filter(is_active=True).exists():
        return  # the usual case: one query per beat, no task
    if celery_enabled():
        from .tasks import webhooks_send

        webhooks_send.delay()
    else:
        webhooks_pass()


@receiver(deliveries_marked_failed)
def deliveries_failed_event(sender, delivery_ids, failed_at, **kwargs) -> None:
    event_type = EventType.DELIVERY_FAILED
    listeners = listeners_of(event_type)
    if not listeners:
        return  # the usual case: one query, the deliveries are not read
    rows = Delivery.objects.filter(
        pk__in=delivery_ids, attempt__mailing__owner_id__in=list(listeners)
    ).values(
        "pk",
        "attempt_id",
        "attempt__mailing_id",
        "attempt__mailing__owner_id",
        "client_id",
        "email",
        "server_response",
        "tries",
    )
    events = [
        (
            row["attempt__mailing__owner_id"],
            failed_at,
            # A resent run may fail the same delivery again: that is another event.
            f"{row['pk']}@{failed_at.timestamp():.6f}",
            {
                "delivery_id": row["pk"],
                "attempt_id": row["attempt_id"],
                "mailing_id": row["attempt__mailing_id"],
                "client_id": row["client_id"],
                "email": row["email"],
                "server_response": row["server_response"],
                "tries": row["tries"],
                "failed_at": failed_at.isoformat(),
            },
        )
        for row in rows
    ]
    messages_record(event_type, listeners, events, now=timezone.now())


@receiver(client_suppressed)
def client_suppressed_event(sender, client: Client, status: str, event, **kwargs) -> None:
    event_type = (
        EventType.CLIENT_COMPLAINED
        if status == Client.Status.COMPLAINED
        else EventType.CLIENT_BOUNCED
    )
    listeners = listeners_of(event_type, owner_id=client.owner_id)
    data = {
        "client_id": client.pk,
        "email": client.email,
        "status": status,
        "kind": event.kind,
        "source": event.source,
        "status_code": event.status_code,
        "server_response": event.server_response,
        "suppressed_at": event.created_at.isoformat(),
    }
    events = [(client.owner_id, event.created_at, f"{event.pk}", data)]
    messages_record(event_type, listeners, events, now=timezone.now())


@receiver(subscriber_confirmed)
def subscriber_confirmed_event(sender, client: Client, **kwargs) -> None:
    event_type = EventType.SUBSCRIBER_CONFIRMED
    listeners = listeners_of(event_type, owner_id=client.owner_id)
    now = timezone.now()
    data = {
        "client_id": client.pk,
        "email": client.email,
        "full_name": client.full_name,
        "confirmed_at": now.isoformat(),
    }
    events = [(client.owner_id, now, f"{client.pk}@{now.timestamp():.6f}", data)]
    messages_record(event_type, listeners, events, now=now)


@receiver(client_erasing)
def client_erased_messages(sender, client, addresses: set[str], **kwargs) -> None:
    # The owner's messages about the client keep their event, without the address,
    # name or servers' replies naming them.
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
