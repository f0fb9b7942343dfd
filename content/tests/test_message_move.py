"""Message, its attachments and images moved from mailings to content, and a run's links
from tracking, with their tables: a database made before the move migrates in place,
every row and relation intact (SQLite here, PostgreSQL in CI)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from content.models import Link, Message, MessageAttachment, MessageImage, message_image_path
from mailings.models import Mailing
from tracking.models import Click

BEFORE = [
    ("content", None),
    ("audience", "0007_client_moves_here"),
    ("mailings", "0018_client_to_audience"),
    ("sending", "0012_delivery_client_in_audience"),
    ("feedback", "0002_event_client_in_audience"),
    ("tracking", "0001_initial"),
]


@pytest.mark.slow
def test_a_database_from_before_the_move_keeps_its_messages(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    applied = MigrationExecutor(connection).loader.applied_migrations
    old = executor.loader.project_state(list(applied)).apps
    owner = old.get_model("accounts", "User").objects.create(email="a@example.org", password="!")
    message = old.get_model("mailings", "Message").objects.create(
        owner=owner, subject="Привет", body="# Hi", format="markdown"
    )
    old.get_model("mailings", "MessageAttachment").objects.create(
        message=message, name="price.pdf", content_type="application/pdf", data=b"%PDF-1", size=6
    )
    picture = old.get_model("mailings", "MessageImage").objects.create(
        owner=owner, image=f"message-images/{owner.pk}/abc.png", width=600, height=400, name="a.png"
    )
    mailing = old.get_model("mailings", "Mailing").objects.create(
        owner=owner, message=message, start_at=timezone.now()
    )
    attempt = old.get_model("sending", "Attempt").objects.create(
        mailing=mailing, started_at=timezone.now(), status="success"
    )
    link = old.get_model("tracking", "Link").objects.create(
        attempt=attempt, url="https://shop.example/", url_hash="h"
    )
    old.get_model("tracking", "Click").objects.create(
        attempt=attempt, link=link, visitor=1, at=timezone.now()
    )
    # The content types as a database made before the move has them (permissions and the
    # admin's history point at them), not as the test database was made.
    content_types = old.get_model("contenttypes", "ContentType").objects
    content_types.filter(app_label="content").delete()
    old_ids = {
        model: content_types.get_or_create(app_label=app_label, model=model)[0].pk
        for app_label, model in [
            ("mailings", "message"),
            ("mailings", "messageattachment"),
            ("mailings", "messageimage"),
            ("tracking", "link"),
        ]
    }

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    moved = Message.objects.get(pk=message.pk)
    assert (moved.subject, moved.format, moved._meta.db_table) == (
        "Привет",
        "markdown",
        "mailings_message",
    )
    assert Mailing.objects.get(pk=mailing.pk).message == moved
    attachment = moved.attachments.get()
    assert (attachment.name, bytes(attachment.data)) == ("price.pdf", b"%PDF-1")
    image = MessageImage.objects.get(pk=picture.pk)
    assert (image.image.name, image.owner_id, image.width) == (
        f"message-images/{owner.pk}/abc.png",
        owner.pk,
        600,
    )
    moved_link = Link.objects.get(pk=link.pk)
    assert (moved_link.url, moved_link.attempt_id, moved_link._meta.db_table) == (
        "https://shop.example/",
        attempt.pk,
        "tracking_link",
    )
    assert Click.objects.get().link == moved_link
    ContentType.objects.clear_cache()
    for model in (Message, MessageAttachment, MessageImage, Link):
        content_type = ContentType.objects.get_for_model(model)
        assert (content_type.app_label, content_type.pk) == (
            "content",
            old_ids[model._meta.model_name],
        )
    assert not ContentType.objects.filter(
        app_label="mailings", model__in=["message", "messageattachment", "messageimage"]
    ).exists()
    assert not ContentType.objects.filter(app_label="tracking", model="link").exists()


def test_an_uploaded_image_is_stored_where_it_was_before_the_move():
    class Image:
        owner_id = 7

    path = message_image_path(Image(), "Photo.JPG")
    folder, _slash, name = path.rpartition("/")
    assert folder == "message-images/7"
    assert name.endswith(".JPG") and len(name) == len("x" * 22 + ".JPG")
