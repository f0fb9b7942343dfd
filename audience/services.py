"""Writes of lists and tags: a client's tags from the form, and bulk changes to every
client a search matches, each a fixed number of SQL statements however many match."""

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from mailings.models import Client

from .models import MailingList, Membership, Tag


@dataclass
class BulkResult:
    changed: int
    # Matching clients that left the list themselves: never put back by the owner.
    skipped_left: int = 0


def tags_for_names(*, owner, names: list[str]) -> list[Tag]:
    """The owner's tags of these names (any case), created where missing."""
    if not names:
        return []
    wanted = {name.lower(): name for name in names}
    existing = {tag.name.lower(): tag for tag in _tags_named(owner, wanted)}
    missing = [Tag(owner=owner, name=name) for key, name in wanted.items() if key not in existing]
    if missing:
        # A parallel request may create one of them first: theirs is as good as ours.
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name.lower(): tag for tag in _tags_named(owner, wanted)}
    return [existing[key] for key in wanted if key in existing]


def _tags_named(owner, lowered_names) -> QuerySet[Tag]:
    return (
        Tag.objects.owned_by(owner).annotate(key=Lower("name")).filter(key__in=list(lowered_names))
    )


def client_tags_set(*, client: Client, names: list[str]) -> None:
    client.tags.set(tags_for_names(owner=client.owner, names=names))


def _client_ids_sql(clients: QuerySet[Client]) -> tuple[str, tuple]:
    return clients.order_by().values("pk").query.sql_with_params()


def _columns(model, *names: str) -> list[str]:
    return [connection.ops.quote_name(model._meta.get_field(name).column) for name in names]


@transaction.atomic
def list_add_clients(*, mailing_list: MailingList, clients: QuerySet[Client]) -> BulkResult:
    """Put every client of `clients` on the list as `subscribed` (added by its owner), in
    two statements. Members stay as they are; a client who left the list is skipped and
    counted: only the client may rejoin."""
    left = Membership.objects.filter(
        mailing_list=mailing_list, client=OuterRef("pk"), status=Membership.Status.UNSUBSCRIBED
    )
    skipped = clients.filter(Exists(left)).order_by().count()
    ids_sql, ids_params = _client_ids_sql(clients)
    membership = connection.ops.quote_name(Membership._meta.db_table)
    client_col, list_col, status_col, created_col = _columns(
        Membership, "client", "mailing_list", "status", "created_at"
    )
    client_table = connection.ops.quote_name(Client._meta.db_table)
    client_id = _columns(Client, "id")[0]
    sql = (
        f"INSERT INTO {membership} ({client_col}, {list_col}, {status_col}, {created_col}) "
        f"SELECT c.{client_id}, %s, %s, %s FROM {client_table} c "
        f"WHERE c.{client_id} IN ({ids_sql}) AND NOT EXISTS ("
        f"SELECT 1 FROM {membership} m WHERE m.{list_col} = %s AND m.{client_col} = c.{client_id})"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [mailing_list.pk, Membership.Status.SUBSCRIBED, now, *ids_params, mailing_list.pk],
        )
        added = cursor.rowcount
    return BulkResult(changed=added, skipped_left=skipped)


def list_remove_clients(*, mailing_list: MailingList, clients: QuerySet[Client]) -> BulkResult:
    """Take the clients off the list in one statement. A client who left keeps its
    membership row: it is what stops a later import or bulk add from putting it back."""
    removed, _ = (
        Membership.objects.filter(mailing_list=mailing_list, client__in=clients.values("pk"))
        .exclude(status=Membership.Status.UNSUBSCRIBED)
        .delete()
    )
    return BulkResult(changed=removed)


def tag_add_clients(*, tag: Tag, clients: QuerySet[Client]) -> BulkResult:
    """Tag every client of `clients` in one statement (those tagged already stay so)."""
    link = Tag.clients.through
    table = connection.ops.quote_name(link._meta.db_table)
    tag_col, client_col = _columns(link, "tag", "client")
    client_table = connection.ops.quote_name(Client._meta.db_table)
    client_id = _columns(Client, "id")[0]
    ids_sql, ids_params = _client_ids_sql(clients)
    sql = (
        f"INSERT INTO {table} ({tag_col}, {client_col}) "
        f"SELECT %s, c.{client_id} FROM {client_table} c "
        f"WHERE c.{client_id} IN ({ids_sql}) AND NOT EXISTS ("
        f"SELECT 1 FROM {table} t WHERE t.{tag_col} = %s AND t.{client_col} = c.{client_id})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [tag.pk, *ids_params, tag.pk])
        return BulkResult(changed=cursor.rowcount)


def tag_remove_clients(*, tag: Tag, clients: QuerySet[Client]) -> BulkResult:
    removed, _ = Tag.clients.through.objects.filter(
        tag=tag, client__in=clients.values("pk")
    ).delete()
    return BulkResult(changed=removed)
