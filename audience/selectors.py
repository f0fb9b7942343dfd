"""Reads of clients, lists, tags and segments: who may see which (the workspace's rule),
mailing and member counts, and the client list's ?list= and ?tag= filters."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from workspace.roles import row_id, sees_everything

from .models import Client, MailingList, Membership, Segment, Tag
from .segments import RuleError, segment_clients

# A count over a million clients takes a noticeable fraction of a second: the same
# question within a minute gets the same answer.
COUNT_CACHE_SECONDS = 60


def clients_visible_to(user) -> QuerySet[Client]:
    return Client.objects.visible_to(user)


def mailing_count_of_client() -> Coalesce:
    """How many mailings name a client one by one, as a correlated subquery: the database
    counts for the page's rows only, instead of grouping every link before the LIMIT."""
    links = (
        Client.mailings.through.objects.filter(client_id=OuterRef("pk"))
        .values("client_id")
        .annotate(count=Count("*"))
        .values("count")
    )
    return Coalesce(Subquery(links, output_field=IntegerField()), 0)


def lists_visible_to(user) -> QuerySet[MailingList]:
    lists = MailingList.objects.all()
    return lists if sees_everything(user) else lists.owned_by(user)


def tags_visible_to(user) -> QuerySet[Tag]:
    return Tag.objects.all() if sees_everything(user) else Tag.objects.owned_by(user)


def tags_with_client_counts(tags: QuerySet[Tag]) -> QuerySet[Tag]:
    """Each tag with how many clients carry it, counted for the page's tags only."""
    links = (
        Tag.clients.through.objects.filter(tag_id=OuterRef("pk"))
        .order_by()
        .values("tag_id")
        .annotate(count=Count("*"))
        .values("count")
    )
    return tags.annotate(client_count=Coalesce(Subquery(links, output_field=IntegerField()), 0))


def segments_naming_tag(tag: Tag) -> list[Segment]:
    """The owner's segments with a rule on this tag: they name it, not point at it."""
    return [
        segment
        for segment in Segment.objects.owned_by(tag.owner_id).only("pk", "name", "rules")
        if any(rule_names_tag(rule, tag.name) for rule in segment.rules or [])
    ]


def rule_names_tag(rule, name: str) -> bool:
    return (
        isinstance(rule, dict)
        and rule.get("field") == "tag"
        and isinstance(rule.get("value"), str)
        and rule["value"].strip().casefold() == name.casefold()
    )


def _members_counted(status: str) -> Coalesce:
    """Members of one status, as a correlated subquery: counted for the page's lists only
    (on the list and status index), never grouped over every membership."""
    members = (
        Membership.objects.filter(mailing_list=OuterRef("pk"), status=status)
        .order_by()
        .values("mailing_list")
        .annotate(count=Count("*"))
        .values("count")
    )
    return Coalesce(Subquery(members, output_field=IntegerField()), 0)


def lists_with_member_counts(lists: QuerySet[MailingList]) -> QuerySet[MailingList]:
    return lists.annotate(
        subscribed_count=_members_counted(Membership.Status.SUBSCRIBED),
        pending_count=_members_counted(Membership.Status.PENDING),
        left_count=_members_counted(Membership.Status.UNSUBSCRIBED),
    )


@dataclass
class AudienceFilter:
    """The list and tag a client list is narrowed to (each None when not asked for)."""

    mailing_list: MailingList | None = None
    tag: Tag | None = None
    # Asked for one the user may not see (or that is gone): nothing matches.
    missing_list: bool = False
    missing_tag: bool = False

    @classmethod
    def from_params(cls, params, *, user) -> "AudienceFilter":
        """From ?list=<id>&tag=<id>; an id the user may not see narrows to nothing."""
        chosen = cls()
        if (list_id := row_id(params.get("list", ""))) is not None:
            chosen.mailing_list = lists_visible_to(user).filter(pk=list_id).first()
            chosen.missing_list = chosen.mailing_list is None
        if (tag_id := row_id(params.get("tag", ""))) is not None:
            chosen.tag = tags_visible_to(user).filter(pk=tag_id).first()
            chosen.missing_tag = chosen.tag is None
        return chosen

    @property
    def active(self) -> bool:
        return bool(self.mailing_list or self.tag or self.missing_list or self.missing_tag)

    def apply(self, clients: QuerySet[Client]) -> QuerySet[Client]:
        """Members of the list (subscribed or waiting, not those who left), with the tag."""
        if self.missing_list or self.missing_tag:
            return clients.none()
        if self.mailing_list is not None:
            on_list = Membership.objects.filter(
                mailing_list=self.mailing_list, client=OuterRef("pk")
            ).exclude(status=Membership.Status.UNSUBSCRIBED)
            clients = clients.filter(Exists(on_list))
        if self.tag is not None:
            tagged = Tag.clients.through.objects.filter(tag=self.tag, client=OuterRef("pk"))
            clients = clients.filter(Exists(tagged))
        return clients


def client_memberships(client: Client) -> QuerySet[Membership]:
    return client.memberships.select_related("mailing_list").order_by("mailing_list__name")


def subscribed_list_ids(client: Client) -> list[int]:
    """The lists the client is on (not those it waits to confirm or left)."""
    return list(client.memberships.subscribed().values_list("mailing_list_id", flat=True))


def list_members(mailing_list: MailingList, *, status: str = "") -> QuerySet[Membership]:
    """A list's members, newest first (read along the membership index, not sorted by
    address: a list may hold a million)."""
    members = mailing_list.memberships.select_related("client").order_by("-pk")
    return members.filter(status=status) if status else members


def list_member_counts(mailing_list: MailingList) -> dict[str, int]:
    return mailing_list.memberships.aggregate(
        subscribed=Count("pk", filter=Q(status=Membership.Status.SUBSCRIBED)),
        pending=Count("pk", filter=Q(status=Membership.Status.PENDING)),
        left=Count("pk", filter=Q(status=Membership.Status.UNSUBSCRIBED)),
    )


def segments_visible_to(user) -> QuerySet[Segment]:
    segments = Segment.objects.all()
    return segments if sees_everything(user) else segments.owned_by(user)


def segment_count(segment: Segment) -> int | None:
    """How many clients match now (None: the rules cannot be evaluated), cached a minute."""
    key = f"segment-count:{segment.pk}:{segment.updated_at.timestamp()}"
    count = cache.get(key)
    if count is None:
        try:
            count = segment_clients(segment).count()
        except RuleError:
            return None
        cache.set(key, count, COUNT_CACHE_SECONDS)
    return count
