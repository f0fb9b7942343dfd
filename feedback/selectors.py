from django.db.models import OuterRef, QuerySet, Subquery

from mailings.models import Client
from mailings.selectors import clients_visible_to

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
