"""Client moved from mailings to audience with its table: a database made before the
move migrates in place, every row and relation intact (SQLite here, PostgreSQL in CI)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from audience.models import Client
from mailings.models import Mailing

BEFORE = [
    ("audience", "0006_suppression_seed"),
    ("mailings", "0017_clientimport_suppressed_count"),
    ("sending", "0011_one_off_runs_take_their_slot"),
    ("feedback", "0001_feedback_events"),
]


@pytest.mark.slow
def test_a_database_from_before_the_move_keeps_its_clients(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    applied = MigrationExecutor(connection).loader.applied_migrations
    old = executor.loader.project_state(list(applied)).apps
    owner = old.get_model("accounts", "User").objects.create(email="a@example.org", password="!")
    client = old.get_model("mailings", "Client").objects.create(
        owner=owner, email="anna@example.org", full_name="Анна", status="active"
    )
    message = old.get_model("mailings", "Message").objects.create(
        owner=owner, subject="Hi", body="Body"
    )
    mailing = old.get_model("mailings", "Mailing").objects.create(
        owner=owner, message=message, start_at=timezone.now()
    )
    mailing.clients.add(client)
    news = old.get_model("audience", "MailingList").objects.create(owner=owner, name="News")
    old.get_model("audience", "Membership").objects.create(client=client, mailing_list=news)
    tag = old.get_model("audience", "Tag").objects.create(owner=owner, name="vip")
    tag.clients.add(client)
    attempt = old.get_model("sending", "Attempt").objects.create(
        mailing=mailing, started_at=timezone.now(), status="success"
    )
    delivery = old.get_model("sending", "Delivery").objects.create(
        attempt=attempt, client=client, email=client.email, status="sent"
    )
    old.get_model("feedback", "FeedbackEvent").objects.create(
        owner=owner, client=client, delivery=delivery, kind="complaint", source="arf"
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    moved = Client.objects.get(pk=client.pk)
    assert (moved.email, moved.full_name, moved._meta.db_table) == (
        "anna@example.org",
        "Анна",
        "mailings_client",
    )
    assert list(Mailing.objects.get(pk=mailing.pk).clients.all()) == [moved]
    assert [m.mailing_list.name for m in moved.memberships.all()] == ["News"]
    assert [t.name for t in moved.tags.all()] == ["vip"]
    assert moved.deliveries.get().status == "sent"
    assert moved.feedback_events.count() == 1
    assert ContentType.objects.get_for_model(Client).app_label == "audience"
    assert not ContentType.objects.filter(app_label="mailings", model="client").exists()
