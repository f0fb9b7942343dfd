"""The migrations that moved Attempt and Delivery to this app and put the engine's
rules in the database apply on a database of the previous release, its rows intact.
Runs on whatever database the suite uses (SQLite by default, PostgreSQL in CI)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import User
from mailings.models import Mailing
from sending.models import Attempt, Delivery

PREVIOUS_RELEASE = [
    ("accounts", "0001_initial"),
    ("mailings", "0003_client_owner_email_index"),
    ("sending", "0002_queued_email"),
]


@pytest.fixture
def previous_release(transactional_db):
    """The database as the previous release left it; migrated forward again afterwards."""
    executor = MigrationExecutor(connection)
    executor.migrate(PREVIOUS_RELEASE)
    yield executor.loader.project_state(PREVIOUS_RELEASE).apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.slow
def test_the_move_keeps_every_row_and_the_rules_apply(previous_release):
    old = previous_release
    owner = old.get_model("accounts", "User").objects.create(
        email="Anna@Example.org", password="!", time_zone="Europe/Moscow"
    )
    message = old.get_model("mailings", "Message").objects.create(
        owner=owner, subject="Hi", body="Body"
    )
    client = old.get_model("mailings", "Client").objects.create(owner=owner, email="c@x.org")
    mailing = old.get_model("mailings", "Mailing").objects.create(
        owner=owner, message=message, start_at=timezone.now(), status="running"
    )
    old_attempt = old.get_model("mailings", "Attempt")
    earlier, later = (
        old_attempt.objects.create(mailing=mailing, started_at=timezone.now(), status=status)
        for status in ("in_progress", "in_progress")  # the race the new rule forbids
    )
    for attempt in (earlier, later):
        old.get_model("mailings", "Delivery").objects.create(
            attempt=attempt, client=client, email=client.email, status="pending"
        )
    old_type = ContentType.objects.get_or_create(app_label="mailings", model="attempt")[0]

    migrate_to_latest()

    assert User.objects.get().email == "anna@example.org"
    assert set(Attempt.objects.values_list("pk", "status")) == {
        (earlier.pk, "in_progress"),
        (later.pk, "failure"),
    }
    assert Delivery.objects.get(attempt_id=earlier.pk).status == "pending"
    assert Delivery.objects.get(attempt_id=later.pk).status == "failed"
    assert Mailing.objects.get().attempts.count() == 2
    # The content type moved (same row, so permissions on it follow).
    assert ContentType.objects.get_for_model(Attempt).pk == old_type.pk
    assert Attempt._meta.db_table == "mailings_attempt"
    assert Delivery._meta.db_table == "mailings_delivery"


@pytest.mark.slow
def test_addresses_differing_only_in_case_stop_the_migration_with_their_names(
    previous_release,
):
    users = previous_release.get_model("accounts", "User").objects
    users.create(email="anna@example.org", password="!")
    users.create(email="ANNA@example.org", password="!")
    with pytest.raises(RuntimeError, match="anna@example.org"):
        migrate_to_latest()
    users.filter(email="ANNA@example.org").delete()
