"""audience/status.py is the one writer of Client.status: the transitions table, the side
effects that go with each change, and a reading of the source tree for writes elsewhere."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from audience.models import Client, Suppression
from audience.signals import subscriber_confirmed
from audience.status import (
    TRANSITIONS,
    Reason,
    client_set_status,
    clients_set_status,
)
from audience.suppressions import address_hashes, suppression_of, suppression_record
from mailings.tests.factories import ClientFactory

Status = Client.Status
THE_WRITER = Path("audience/status.py")
SKIPPED_DIRS = {".venv", ".git", "tests", "migrations", "node_modules", "var"}


def client_with(status: str, **fields) -> Client:
    client = ClientFactory(**fields)
    Client.objects.filter(pk=client.pk).update(status=status)
    client.refresh_from_db()
    return client


# The transitions table.

SINGLE = [(to, reason) for to, reason in TRANSITIONS if reason != Reason.OWNER]


@pytest.mark.django_db
@pytest.mark.parametrize("start", Status.values)
@pytest.mark.parametrize("to, reason", SINGLE)
def test_a_status_changes_only_from_the_statuses_its_reason_may_leave(start, to, reason):
    client = client_with(start)
    changed = client_set_status(client=client, to=to, reason=reason)
    assert changed == (start in TRANSITIONS[(to, reason)])
    kept = start == Status.BOUNCED and reason == Reason.UNSUBSCRIBE
    expected = to if changed and not kept else start
    assert client.status == expected
    assert Client.objects.get(pk=client.pk).status == expected


def test_no_link_of_the_recipient_ever_makes_a_bounce_or_a_complaint_active():
    for (to, reason), sources in TRANSITIONS.items():
        if reason in (Reason.RESUBSCRIBE, Reason.CONFIRMATION, Reason.UNSUBSCRIBE):
            assert not (to == Status.ACTIVE and sources & {Status.BOUNCED, Status.COMPLAINED})
    assert Status.COMPLAINED not in TRANSITIONS[(Status.UNSUBSCRIBED, Reason.UNSUBSCRIBE)]


@pytest.mark.django_db
def test_a_transition_not_in_the_table_is_refused():
    client = client_with(Status.ACTIVE)
    with pytest.raises(ValueError):
        client_set_status(client=client, to=Status.BOUNCED, reason=Reason.COMPLAINT)
    with pytest.raises(ValueError):
        client_set_status(client=client, to=Status.PENDING, reason=Reason.OWNER)
    with pytest.raises(ValueError):
        clients_set_status(Client.objects.all(), to=Status.BOUNCED, reason=Reason.BOUNCE)


@pytest.mark.django_db
def test_an_unsubscribe_is_dated_once_and_suppresses_the_address():
    client = client_with(Status.ACTIVE)
    assert client_set_status(client=client, to=Status.UNSUBSCRIBED, reason=Reason.UNSUBSCRIBE)
    first = client.unsubscribed_at
    assert first is not None
    assert not client_set_status(client=client, to=Status.UNSUBSCRIBED, reason=Reason.UNSUBSCRIBE)
    assert client.unsubscribed_at == first
    suppression = suppression_of(owner_id=client.owner_id, email=client.email)
    assert suppression.reason == Suppression.Reason.UNSUBSCRIBED


@pytest.mark.django_db
def test_a_bounced_address_keeps_its_status_and_its_reason_when_the_link_is_followed():
    client = client_with(Status.ACTIVE)
    assert client_set_status(client=client, to=Status.BOUNCED, reason=Reason.BOUNCE)
    assert client.unsubscribed_at is None  # a bounce is not an unsubscribe
    assert client_set_status(client=client, to=Status.UNSUBSCRIBED, reason=Reason.UNSUBSCRIBE)
    assert (client.status, client.unsubscribed_at is not None) == (Status.BOUNCED, True)
    suppression = suppression_of(owner_id=client.owner_id, email=client.email)
    assert suppression.reason == Suppression.Reason.BOUNCED
    # Nor can the recipient take it back.
    assert not client_set_status(client=client, to=Status.ACTIVE, reason=Reason.RESUBSCRIBE)
    assert not client_set_status(client=client, to=Status.ACTIVE, reason=Reason.CONFIRMATION)


@pytest.mark.django_db
def test_a_complaint_unsubscribes_and_keeps_an_earlier_date():
    client = client_with(Status.ACTIVE)
    client_set_status(client=client, to=Status.UNSUBSCRIBED, reason=Reason.UNSUBSCRIBE)
    left_at = client.unsubscribed_at
    assert client_set_status(client=client, to=Status.COMPLAINED, reason=Reason.COMPLAINT)
    assert (client.status, client.unsubscribed_at) == (Status.COMPLAINED, left_at)
    fresh = client_with(Status.ACTIVE)
    at = timezone.now() - timezone.timedelta(hours=1)
    client_set_status(client=fresh, to=Status.COMPLAINED, reason=Reason.COMPLAINT, at=at)
    assert fresh.unsubscribed_at == at
    suppression = suppression_of(owner_id=fresh.owner_id, email=fresh.email)
    assert (suppression.reason, suppression.suppressed_at) == (Suppression.Reason.COMPLAINED, at)


@pytest.mark.django_db
def test_the_recipient_takes_back_their_own_unsubscribe_and_its_suppression_is_lifted():
    client = client_with(Status.ACTIVE)
    client_set_status(client=client, to=Status.UNSUBSCRIBED, reason=Reason.UNSUBSCRIBE)
    assert client_set_status(client=client, to=Status.ACTIVE, reason=Reason.RESUBSCRIBE)
    assert (client.status, client.unsubscribed_at) == (Status.ACTIVE, None)
    assert suppression_of(owner_id=client.owner_id, email=client.email) is None
    lifted = Suppression.objects.get(owner_id=client.owner_id)
    assert lifted.lifted_by == Suppression.LiftedBy.RECIPIENT


@pytest.mark.django_db
def test_a_confirmation_activates_and_is_announced():
    client = client_with(Status.PENDING)
    heard = []
    subscriber_confirmed.connect(receiver := lambda sender, client, **kw: heard.append(client))
    try:
        assert client_set_status(client=client, to=Status.ACTIVE, reason=Reason.CONFIRMATION)
        assert not client_set_status(client=client, to=Status.ACTIVE, reason=Reason.CONFIRMATION)
    finally:
        subscriber_confirmed.disconnect(receiver)
    assert heard == [client]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status, reason, may",
    [
        (Status.BOUNCED, Suppression.Reason.BOUNCED, True),
        (Status.COMPLAINED, Suppression.Reason.COMPLAINED, True),
        (Status.UNSUBSCRIBED, Suppression.Reason.IMPORTED, True),
        (Status.UNSUBSCRIBED, Suppression.Reason.UNSUBSCRIBED, False),
        (Status.PENDING, None, False),
        (Status.ACTIVE, None, False),
    ],
)
def test_the_owner_reactivates_what_is_theirs_to_vouch_for(status, reason, may):
    client = client_with(status)
    if reason is not None:
        Suppression.objects.create(
            owner_id=client.owner_id,
            address_hash=address_hashes(client.email)[0],
            email=client.email,
            reason=reason,
        )
    changed = client_set_status(
        client=client, to=Status.ACTIVE, reason=Reason.OWNER, note="the mailbox works"
    )
    assert changed == may
    assert client.status == (Status.ACTIVE if may else status)
    if may:
        lifted = Suppression.objects.get(owner_id=client.owner_id)
        assert (lifted.lifted_by, lifted.lift_reason) == (
            Suppression.LiftedBy.OWNER,
            "the mailbox works",
        )


@pytest.mark.django_db
def test_an_imported_suppression_stops_the_active_clients_only():
    active, bounced = client_with(Status.ACTIVE), client_with(Status.BOUNCED)
    pending = client_with(Status.PENDING)
    at = timezone.now()
    changed = clients_set_status(
        Client.objects.filter(pk__in=[active.pk, bounced.pk, pending.pk]),
        to=Status.UNSUBSCRIBED,
        reason=Reason.SUPPRESSION_IMPORT,
        at=at,
    )
    assert changed == 1
    rows = dict(Client.objects.values_list("pk", "status"))
    assert rows == {
        active.pk: Status.UNSUBSCRIBED,
        bounced.pk: Status.BOUNCED,
        pending.pk: Status.PENDING,
    }
    assert Client.objects.get(pk=active.pk).unsubscribed_at == at


@pytest.mark.django_db
def test_a_suppression_record_never_softens_a_bounce():
    client = client_with(Status.BOUNCED)
    suppression_record(client=client, status=Status.BOUNCED)
    suppression_record(client=client, status=Status.UNSUBSCRIBED)
    assert suppression_of(owner_id=client.owner_id, email=client.email).reason == "bounced"


# Nobody else writes Client.status.


def _mentions_client_status(node: ast.AST) -> bool:
    """The expression names Client.Status (or a suppression's client_status)."""
    for part in ast.walk(node):
        if isinstance(part, ast.Attribute) and part.attr == "client_status":
            return True
        if (
            isinstance(part, ast.Attribute)
            and part.attr == "Status"
            and isinstance(part.value, ast.Name)
            and part.value.id == "Client"
        ):
            return True
    return False


def _names_a_client(node: ast.AST) -> bool:
    """`client.status`, `self.client.status`, `obj.status` in a Client admin...: an
    object whose name says it is a client."""
    return any(
        (isinstance(part, ast.Name) and "client" in part.id.lower())
        or (isinstance(part, ast.Attribute) and "client" in part.attr.lower())
        for part in ast.walk(node)
    )


def _chain_starts_at_client(node: ast.AST) -> bool:
    """Client.objects...update(...), or Client(...)."""
    while isinstance(node, ast.Call | ast.Attribute):
        node = node.func if isinstance(node, ast.Call) else node.value
    return isinstance(node, ast.Name) and node.id == "Client"


WRITING_CALLS = {"update", "create", "get_or_create", "update_or_create", "bulk_update"}


def status_writes(source: str) -> list[int]:
    """Lines of `source` that write a client's status (or look like they do)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for part in ast.walk(target):
                    if (
                        isinstance(part, ast.Attribute)
                        and part.attr == "status"
                        and (
                            _names_a_client(part.value)
                            or (node.value is not None and _mentions_client_status(node.value))
                        )
                    ):
                        lines.append(node.lineno)
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else None
            constructs = isinstance(node.func, ast.Name) and node.func.id == "Client"
            keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}
            defaults = keywords.get("defaults")
            if isinstance(defaults, ast.Dict):
                keywords.update(
                    (key.value, value)
                    for key, value in zip(defaults.keys, defaults.values, strict=True)
                    if isinstance(key, ast.Constant)
                )
            if "status" in keywords and (
                constructs
                or (
                    name in WRITING_CALLS
                    and (
                        _chain_starts_at_client(node.func)
                        or _mentions_client_status(keywords["status"])
                    )
                )
            ):
                lines.append(node.lineno)
            if name == "save" and _names_a_client(node.func):
                fields = keywords.get("update_fields")
                if fields is not None and any(
                    isinstance(part, ast.Constant) and part.value == "status"
                    for part in ast.walk(fields)
                ):
                    lines.append(node.lineno)
    return sorted(set(lines))


@pytest.mark.parametrize(
    "source",
    [
        "Client.objects.filter(pk=1).update(status=Client.Status.BOUNCED)",
        "clients.filter(status=Client.Status.ACTIVE).update(status=Client.Status.BOUNCED)",
        "Client.objects.filter(pk=1).update(status=status)",
        "Client.objects.create(owner=owner, email=email, status=status)",
        "Client(owner=owner, email=email, status=status)",
        "client.status = Client.Status.UNSUBSCRIBED",
        "self.client.status = held",
        "obj.status = suppression.client_status",
        "membership.status, client.status = 'subscribed', 'active'",
        "client.save(update_fields=['status', 'unsubscribed_at'])",
        "Client.objects.update_or_create(email=e, defaults={'status': 'active'})",
    ],
)
def test_the_reading_finds_a_write(source):
    assert status_writes(source) == [1]


@pytest.mark.parametrize(
    "source",
    [
        "Client.objects.filter(status=Client.Status.ACTIVE)",
        "clients.exclude(status=Client.Status.COMPLAINED).count()",
        "delivery.status = Delivery.Status.PENDING",
        "membership.status = Membership.Status.SUBSCRIBED",
        "Mailing.objects.filter(pk=1).update(status=Mailing.Status.DISABLED)",
        "client_set_status(client=client, to=Client.Status.ACTIVE, reason=Reason.OWNER)",
        "membership.save(update_fields=['status'])",
    ],
)
def test_the_reading_leaves_reads_and_other_models_alone(source):
    assert status_writes(source) == []


def test_no_module_but_audience_status_writes_a_client_status():
    root = Path(settings.BASE_DIR)
    found = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if SKIPPED_DIRS & set(relative.parts[:-1]) or relative == THE_WRITER:
            continue
        if lines := status_writes(path.read_text(encoding="utf-8")):
            found[str(relative)] = lines
    assert found == {}, "Client.status is written only by audience/status.py"
