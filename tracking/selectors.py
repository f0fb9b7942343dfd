"""Reads: a client's history, and the clients who engaged (for the segments builder).
Callers have checked that the viewer may see the client; machines do not count."""

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from audience.models import Client
from sending.models import Attempt, Delivery

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
    any of the last `last_mailings` runs that reached them, as people (machines do not
    count). A run reached a client when its email was handed to the client's server;
    each client has its own last runs: the account's runs to other audiences since do
    not push a client's out.

    Only runs tracked per recipient know who did what; runs counted in aggregate add
    nobody (they still count among a client's last runs). A queryset: filter it
    further, or use `.values("pk")` as a subquery.
    """
    # How many later runs reached the event's client: fewer than N, and the event's run
    # is one of its last N. Attempt ids grow with the runs' start.
    later_runs = Coalesce(
        Subquery(
            Delivery.objects.filter(
                client_id=OuterRef("delivery__client_id"),
                attempt_id__gt=OuterRef("attempt_id"),
                status=Delivery.Status.SENT,
            )
            .order_by()
            .values("client_id")
            .annotate(count=Count("*"))
            .values("count")
        ),
        0,
    )
    models = [Click, Open] if kind == "open" else [Click]
    engaged = Q()
    for model in models:
        events = (
            model.objects.human()
            .filter(attempt__mailing__owner=owner, delivery__client__isnull=False)
            .alias(later_runs=later_runs)
            .filter(later_runs__lt=max(last_mailings, 0))
        )
        engaged |= Q(pk__in=events.order_by().values("delivery__client_id"))
    return Client.objects.owned_by(owner).filter(engaged)
