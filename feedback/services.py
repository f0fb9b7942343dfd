"""The suppression policy: what a bounce or a complaint does to its client."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from mailings.models import Client

from .models import FeedbackEvent

log = logging.getLogger(__name__)

Kind = FeedbackEvent.Kind


def _soft_bounces_recent(client_id: int, now: datetime) -> int:
    since = now - timedelta(days=settings.BOUNCE_SOFT_WINDOW_DAYS)
    return FeedbackEvent.objects.filter(
        client_id=client_id, kind=Kind.SOFT, created_at__gt=since, cleared_at__isnull=True
    ).count()


@transaction.atomic
def feedback_record(
    *,
    client: Client,
    kind: str,
    source: str,
    delivery_id: int | None = None,
    status_code: str = "",
    server_response: str = "",
    now: datetime | None = None,
) -> FeedbackEvent:
    """Record one bounce or complaint and apply the policy to its client.

    A hard bounce suppresses at once, soft ones once BOUNCE_SOFT_LIMIT arrived within
    BOUNCE_SOFT_WINDOW_DAYS, a complaint at once (and unsubscribes). A client that is
    already not receiving keeps its status, except that a complaint outranks the rest.
    """
    now = now or timezone.now()
    event = FeedbackEvent.objects.create(
        owner_id=client.owner_id,
        client=client,
        delivery_id=delivery_id,
        email=client.email,
        kind=kind,
        source=source,
        status_code=status_code[:32],
        server_response=server_response[:2000],
        created_at=now,
    )
    clients = Client.objects.filter(pk=client.pk)
    if kind == Kind.COMPLAINT:
        changed = clients.exclude(status=Client.Status.COMPLAINED).update(
            status=Client.Status.COMPLAINED, unsubscribed_at=Coalesce("unsubscribed_at", now)
        )
    elif kind == Kind.HARD or _soft_bounces_recent(client.pk, now) >= settings.BOUNCE_SOFT_LIMIT:
        changed = clients.filter(status=Client.Status.ACTIVE).update(status=Client.Status.BOUNCED)
    else:
        changed = 0
    if changed:
        log.info("Client %s (%s) suppressed: %s from %s", client.pk, client.email, kind, source)
    return event


@transaction.atomic
def client_reactivate(*, client: Client) -> bool:
    """The owner vouches for a bounced or complained address: it receives again, and
    the bounces and complaints so far no longer count."""
    changed = Client.objects.filter(
        pk=client.pk, status__in=[Client.Status.BOUNCED, Client.Status.COMPLAINED]
    ).update(status=Client.Status.ACTIVE, unsubscribed_at=None)
    if changed:
        FeedbackEvent.objects.filter(client_id=client.pk, cleared_at__isnull=True).update(
            cleared_at=timezone.now()
        )
    client.refresh_from_db(fields=["status", "unsubscribed_at"])
    return bool(changed)
