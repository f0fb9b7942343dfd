"""Writes of lists and tags: a client's tags from the form, and bulk changes to every
client a search matches, each a fixed number of SQL statements however many match."""

from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from .models import Client, ConsentRecord, MailingList, Membership, Tag
from .selectors import rule_names_tag, segments_naming_tag

# Rows per INSERT of an import's memberships and tag links.
BATCH = 1000


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
    existing = tags_by_lowered_name(owner)
    missing = [Tag(owner=owner, name=name) for key, name in wanted.items() if key not in existing]
    if missing:
        # A parallel request may create one of them first: theirs is as good as ours.
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = tags_by_lowered_name(owner)
    return [existing[key] for key in wanted if key in existing]


def tags_by_lowered_name(owner) -> dict[str, Tag]:
    """The owner's tags by their name in lower case: compared in Python, since SQLite's
    LOWER() leaves Cyrillic as it is (an owner has hundreds of tags, not millions)."""
    return {tag.name.lower(): tag for tag in Tag.objects.owned_by(owner).only("pk", "name")}


@transaction.atomic
def tag_rename(*, tag: Tag, name: str) -> None:
    """Rename a tag, and the rules of the owner's segments that name it with it: a
    segment names its tags (as the editor shows them), so it keeps matching. `tag` may
    hold the new name already (a form's instance): the stored one is read."""
    stored = Tag.objects.select_for_update().get(pk=tag.pk)
    for segment in segments_naming_tag(stored):
        segment.rules = [
            {**rule, "value": name} if rule_names_tag(rule, stored.name) else rule
            for rule in segment.rules
        ]
        segment.save(update_fields=["rules", "updated_at"])
    stored.name = tag.name = name
    stored.save(update_fields=["name"])


def client_tags_set(*, client: Client, names: list[str]) -> None:
    client.tags.set(tags_for_names(owner=client.owner, names=names))


@transaction.atomic
def client_lists_set(*, client: Client, lists: list[MailingList]) -> None:
    """The owner's choice of lists for one client. A list it is not on yet is joined as
    `subscribed` with a consent record saying the owner added it; a subscribed membership
    not chosen is deleted. Waiting and left memberships are the recipient's to change:
    they stay as they are."""
    wanted = {mailing_list.pk for mailing_list in lists}
    Membership.objects.filter(client=client).subscribed().exclude(
        mailing_list_id__in=wanted
    ).delete()
    joined = wanted - set(
        Membership.objects.filter(client=client).values_list("mailing_list_id", flat=True)
    )
    Membership.objects.bulk_create(
        [Membership(client=client, mailing_list_id=pk) for pk in joined], ignore_conflicts=True
    )
    ConsentRecord.objects.bulk_create(
        [
            ConsentRecord(client=client, mailing_list_id=pk, source=ConsentRecord.Source.MANUAL)
            for pk in joined
        ]
    )


def _client_ids_sql(clients: QuerySet[Client]) -> tuple[str, tuple] | None:
    """The SELECT of the clients' ids, or None when it can match nothing (`.none()`)."""
    try:
        return clients.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return None


def _columns(model, *names: str) -> list[str]:
    return [connection.ops.quote_name(model._meta.get_field(name).column) for name in names]


@transaction.atomic
def list_add_clients(*, mailing_list: MailingList, clients: QuerySet[Client]) -> BulkResult:
    """Put every client of `clients` on the list as `subscribed`, with a consent record
    saying its owner added it: three statements however many match. Members stay as they
    are; a client who left the list is skipped and counted: only the client may rejoin."""
    left = Membership.objects.filter(
        mailing_list=mailing_list, client=OuterRef("pk"), status=Membership.Status.UNSUBSCRIBED
    )
    skipped = clients.filter(Exists(left)).order_by().count()
    if (ids := _client_ids_sql(clients)) is None:
        return BulkResult(changed=0)
    ids_sql, ids_params = ids
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
    consent = connection.ops.quote_name(ConsentRecord._meta.db_table)
    consent_columns = ", ".join(
        _columns(ConsentRecord, "client", "mailing_list", "source", "user_agent", "created_at")
    )
    # Each new member's consent record says the owner added it, stamped like its row.
    consent_sql = (
        f"INSERT INTO {consent} ({consent_columns}) "
        f"SELECT {client_col}, {list_col}, %s, '', {created_col} FROM {membership} "
        f"WHERE {list_col} = %s AND {created_col} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [mailing_list.pk, Membership.Status.SUBSCRIBED, now, *ids_params, mailing_list.pk],
        )
        added = cursor.rowcount
        cursor.execute(consent_sql, [ConsentRecord.Source.MANUAL, mailing_list.pk, now])
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
    if (ids := _client_ids_sql(clients)) is None:
        return BulkResult(changed=0)
    ids_sql, ids_params = ids
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


def owner_lists_by_lowered_name(owner) -> dict[str, int]:
    """The owner's list ids by name in lower case (compared in Python, as tags are)."""
    return {
        name.lower(): pk
        for pk, name in MailingList.objects.owned_by(owner).values_list("pk", "name")
    }


def clients_join_lists_and_tags(*, owner, joins: dict[str, tuple[list[int], list[str]]]) -> None:
    """Put imported clients on lists and tag them: `joins` maps an email (lower case) to
    list ids and tag names. Memberships a client has already, left ones included, stay
    as they are: an import never puts back a client who left a list. Each new
    membership gets a consent record saying an import made it; a fixed number of
    statements however many rows."""
    tags = {
        tag.name.lower(): tag
        for tag in tags_for_names(
            owner=owner, names=list({name for _ids, names in joins.values() for name in names})
        )
    }
    ids = {
        email.lower(): pk
        for pk, email in Client.objects.owned_by(owner).values_list("pk", "email").iterator()
    }
    named_lists = {pk for list_ids, _names in joins.values() for pk in list_ids}
    # Every membership of the lists the file names, to tell the new ones apart.
    on_lists = set(
        Membership.objects.filter(mailing_list_id__in=named_lists)
        .values_list("client_id", "mailing_list_id")
        .iterator()
    )
    new_pairs, links = set(), []
    for email, (list_ids, tag_names) in joins.items():
        client_id = ids.get(email)
        if client_id is None:
            continue
        new_pairs |= {(client_id, pk) for pk in list_ids} - on_lists
        links += [
            Tag.clients.through(tag_id=tags[name.lower()].pk, client_id=client_id)
            for name in tag_names
            if name.lower() in tags
        ]
    with transaction.atomic():
        Membership.objects.bulk_create(
            [Membership(client_id=client, mailing_list_id=pk) for client, pk in new_pairs],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
        ConsentRecord.objects.bulk_create(
            [
                ConsentRecord(
                    client_id=client, mailing_list_id=pk, source=ConsentRecord.Source.IMPORT
                )
                for client, pk in new_pairs
            ],
            batch_size=BATCH,
        )
        Tag.clients.through.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
