"""Reads: a client's history, and the clients who engaged (for the segments builder).
Callers have checked that the viewer may see the client; machines do not count."""

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from django.db.models import Q, QuerySet

from audience.models import Client
from sending.models import Attempt

from .models import Click, Open


@dataclass
class ClientEvent:
    at: dt.datetime
    kind: str  # "open" or "click"
    attempt: Attempt
    url: str = ""


def client_history(client: Client, *, limit: int = 20) -> list[ClientEvent]:
    """What the client did with the runs tracked per recipient, newest first (people's
    doing only)."""
    opens = (
        Open.objects.human()
        .filter(delivery__client=client)
        .select_related("attempt__mailing__message")
        .order_by("-at")[:limit]
    )
    clicks = (
        Click.objects.human()
        .filter(delivery__client=client)
        .select_related("attempt__mailing__message", "link")
        .order_by("-at")[:limit]
    )
    events = [ClientEvent(event.at, "open", event.attempt) for event in opens] + [
        ClientEvent(event.at, "click", event.attempt, event.link.url) for event in clicks
    ]
    return sorted(events, key=lambda event: event.at, reverse=True)[:limit]


def clients_engaged(
    owner, *, kind: Literal["open", "click"], last_mailings: int
) -> QuerySet[Client]:
    """The owner's clients who opened (or clicked, which is opening too) or clicked in
    any of the owner's `last_mailings` latest runs, as people (machines do not count).

    Only runs tracked per recipient know who did what; runs counted in aggregate add
    nobody. A queryset: filter it further, or use `.values("pk")` as a subquery.
    """
    runs = (
        Attempt.objects.filter(mailing__owner=owner)
        .order_by("-started_at", "-pk")
        .values_list("pk", flat=True)[: max(last_mailings, 0)]
    )
    run_ids = list(runs)  # a LIMIT inside IN (…) is not every database's
    models = [Click, Open] if kind == "open" else [Click]
    engaged = Q()
    for model in models:
        events = model.objects.human().filter(attempt_id__in=run_ids, delivery__isnull=False)
        engaged |= Q(pk__in=events.order_by().values("delivery__client_id"))
    return Client.objects.owned_by(owner).filter(engaged)
