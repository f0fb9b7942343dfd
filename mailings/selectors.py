"""Reads: which rows a user may see. Every view asks here, so ownership is decided once."""

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from audience.models import Client
from audience.segments import RuleError
from workspace.counts import remembered_if_large

from .models import Mailing
from .recipients import mailing_targeted, recipients_of


def mailings_visible_to(user) -> QuerySet[Mailing]:
    return Mailing.objects.visible_to(user)


def _clients_counted() -> Coalesce:
    """How many clients a mailing names one by one, as a correlated subquery: the
    database counts for the page's rows only, instead of grouping every row before the
    LIMIT."""
    links = (
        Mailing.clients.through.objects.filter(mailing_id=OuterRef("pk"))
        .values("mailing_id")
        .annotate(count=Count("*"))
        .values("count")
    )
    return Coalesce(Subquery(links, output_field=IntegerField()), 0)


def mailings_with_recipient_counts(mailings: QuerySet[Mailing]) -> QuerySet[Mailing]:
    """One query for a whole page: message, owner and the count of clients chosen one
    by one joined in, and whether lists are targeted too (their members, like a
    segment's matches, are counted on the mailing's own page: not for every row)."""
    return mailings.select_related("message", "owner").annotate(
        recipient_count=_clients_counted(),
        targets_lists=Exists(Mailing.lists.through.objects.filter(mailing_id=OuterRef("pk"))),
    )


def subscribed_clients(owner) -> QuerySet[Client]:
    """The owner's clients that receive mailings (active: not unsubscribed, bounced or
    complained)."""
    return Client.objects.owned_by(owner).receiving()


def mailing_recipient_counts(mailing: Mailing) -> dict:
    """How many clients the mailing's targets name now (`total`) and how many of them a
    run would reach (`subscribed`: the active ones); `error` when its segment's rules
    cannot be evaluated."""
    try:
        targeted = mailing_targeted(mailing)
    except RuleError as error:
        return {"total": 0, "subscribed": 0, "error": error.message}
    segment_changed = mailing.segment.updated_at.timestamp() if mailing.segment_id else ""
    return remembered_if_large(
        f"mailing-recipients:{mailing.pk}:{mailing.updated_at.timestamp()}:{segment_changed}",
        lambda: targeted.aggregate(
            total=Count("pk"), subscribed=Count("pk", filter=Q(status=Client.Status.ACTIVE))
        ),
        size=lambda counts: counts["total"],
    )


def mailing_recipient_sample(mailing: Mailing, size: int = 10) -> list[Client]:
    """The first recipients by id: read in the clients' own index order and stopped at
    `size`, where sorting by address would sort every recipient."""
    try:
        return list(recipients_of(mailing).order_by("pk")[:size])
    except RuleError:
        return []


def mailing_last_finished_run(mailing: Mailing):
    """The latest run (an Attempt) that has ended: None while the first one goes on, or
    before it."""
    return mailing.attempts.finished().order_by("-started_at", "-pk").first()
