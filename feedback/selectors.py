from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower

from audience.models import Client, Suppression
from audience.selectors import clients_visible_to
from audience.suppressions import address_hashes
from workspace.roles import sees_everything

from .models import FeedbackEvent

SUPPRESSED = [Client.Status.BOUNCED, Client.Status.COMPLAINED]


def suppressions_visible_to(user) -> QuerySet[Client]:
    """Clients kept from mailings by a bounce or a complaint, each with the latest
    event that counts (its kind, date, status code and the server's text)."""
    latest = FeedbackEvent.objects.filter(
        client_id=OuterRef("pk"), cleared_at__isnull=True
    ).order_by("-created_at", "-pk")
    return (
        clients_visible_to(user)
        .filter(status__in=SUPPRESSED)
        .select_related("owner")
        .annotate(
            suppressed_at=Subquery(latest.values("created_at")[:1]),
            suppression_kind=Subquery(latest.values("kind")[:1]),
            suppression_code=Subquery(latest.values("status_code")[:1]),
            suppression_reply=Subquery(latest.values("server_response")[:1]),
        )
        .order_by("-suppressed_at", "email")
    )


def suppressed_addresses_visible_to(user, *, query: str = "") -> QuerySet[Suppression]:
    """The suppression list as its page shows it: every address held (its client
    deleted or erased too), newest first, each with its client if it has one and that
    client's latest bounce or complaint that counts. `query` finds part of an address,
    or a whole one by its hash (an erased address is found that way only)."""
    held = Suppression.objects.held()
    if not sees_everything(user):
        held = held.filter(owner=user)
    if query:
        held = held.filter(
            Q(email__contains=query.lower()) | Q(address_hash__in=address_hashes(query))
        )
    client = Client.objects.alias(key=Lower("email")).filter(
        owner_id=OuterRef("owner_id"), key=OuterRef("email")
    )
    latest = FeedbackEvent.objects.filter(
        client_id=OuterRef("client_pk"), cleared_at__isnull=True
    ).order_by("-created_at", "-pk")
    return (
        held.select_related("owner")
        .annotate(client_pk=Subquery(client.values("pk")[:1]))
        .annotate(
            event_kind=Subquery(latest.values("kind")[:1]),
            event_code=Subquery(latest.values("status_code")[:1]),
            event_reply=Subquery(latest.values("server_response")[:1]),
        )
        .order_by("-suppressed_at", "-pk")
    )
