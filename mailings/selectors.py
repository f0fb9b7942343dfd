"""Reads: which rows a user may see. Every view asks here, so ownership is decided once."""

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from audience.models import Client
from audience.segments import RuleError
from sending.models import Attempt
from workspace.counts import remembered_if_large

from .models import ClientImport, Mailing, Message, MessageImage
from .recipients import mailing_targeted, recipients_of


def clients_visible_to(user) -> QuerySet[Client]:
    return Client.objects.visible_to(user)


def messages_visible_to(user) -> QuerySet[Message]:
    return Message.objects.visible_to(user)


def mailings_visible_to(user) -> QuerySet[Mailing]:
    return Mailing.objects.visible_to(user)


def message_images_visible_to(user) -> QuerySet[MessageImage]:
    return MessageImage.objects.visible_to(user)


def client_imports_visible_to(user) -> QuerySet[ClientImport]:
    return ClientImport.objects.visible_to(user)


def _links_counted_by(column: str) -> Coalesce:
    """How many mailing-client links a row has, as a correlated subquery: the database
    counts for the page's rows only, instead of grouping every row before the LIMIT."""
    links = (
        Mailing.clients.through.objects.filter(**{column: OuterRef("pk")})
        .values(column)
        .annotate(count=Count("*"))
        .values("count")
    )
    return Coalesce(Subquery(links, output_field=IntegerField()), 0)


def mailing_count_of_client() -> Coalesce:
    return _links_counted_by("client_id")


def mailings_with_recipient_counts(mailings: QuerySet[Mailing]) -> QuerySet[Mailing]:
    """One query for a whole page: message, owner and the count of clients chosen one
    by one joined in, and whether lists are targeted too (their members, like a
    segment's matches, are counted on the mailing's own page: not for every row)."""
    return mailings.select_related("message", "owner").annotate(
        recipient_count=_links_counted_by("mailing_id"),
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


def mailing_last_finished_run(mailing: Mailing) -> Attempt | None:
    """The latest run that has ended (None while the first one goes on, or before)."""
    return (
        mailing.attempts.exclude(status=Attempt.Status.IN_PROGRESS)
        .order_by("-started_at", "-pk")
        .first()
    )
