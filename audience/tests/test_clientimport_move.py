"""ClientImport moved from mailings to audience with its table: a database made before
the move migrates in place, its import jobs intact, and one still waiting is imported
after it (SQLite here, PostgreSQL in CI)."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audience.imports import client_imports_run
from audience.models import Client, ClientImport

BEFORE = [
    ("audience", "0007_client_moves_here"),
    ("mailings", "0019_message_to_content"),
]


@pytest.mark.slow
def test_a_database_from_before_the_move_keeps_its_imports(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    applied = MigrationExecutor(connection).loader.applied_migrations
    old = executor.loader.project_state(list(applied)).apps
    owner = old.get_model("accounts", "User").objects.create(email="a@example.org", password="!")
    jobs = old.get_model("mailings", "ClientImport").objects
    done = jobs.create(
        owner=owner,
        file_name="старые.csv",
        data=b"",
        language="ru",
        status="done",
        total_rows=2,
        rows_done=2,
        created_count=1,
        error_count=1,
        errors=[{"line": 3, "email": "x", "reason": "Неверный адрес"}],
    )
    waiting = jobs.create(
        owner=owner, file_name="new.csv", data=b"email\nanna@example.org\n", total_rows=1
    )
    # The content type as a database made before the move has it (permissions and the
    # admin's history point at it), not as the test database was made.
    content_types = old.get_model("contenttypes", "ContentType").objects
    content_types.filter(app_label="audience", model="clientimport").delete()
    old_id = content_types.get_or_create(app_label="mailings", model="clientimport")[0].pk
    permission, _created = old.get_model("auth", "Permission").objects.get_or_create(
        content_type_id=old_id,
        codename="view_clientimport",
        defaults={"name": "Can view client import"},
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    moved = ClientImport.objects.get(pk=done.pk)
    assert (moved.file_name, moved.status, moved.created_count, moved._meta.db_table) == (
        "старые.csv",
        # Its skipped row says so, and its errors are grouped as the page shows them (0009).
        ClientImport.Status.DONE_WITH_ERRORS,
        1,
        "mailings_clientimport",
    )
    assert moved.errors == [
        {"reason": "Неверный адрес", "count": 1, "lines": [3], "emails": ["x"], "missing_list": ""}
    ]
    assert list(moved.owner.client_imports.order_by("pk")) == [moved, ClientImport(pk=waiting.pk)]
    assert client_imports_run() == 1
    assert ClientImport.objects.get(pk=waiting.pk).status == ClientImport.Status.DONE
    assert Client.objects.get(owner_id=owner.pk).email == "anna@example.org"
    ContentType.objects.clear_cache()
    content_type = ContentType.objects.get_for_model(ClientImport)
    assert (content_type.app_label, content_type.pk) == ("audience", old_id)
    assert Permission.objects.get(pk=permission.pk).content_type == content_type
    assert not ContentType.objects.filter(app_label="mailings", model="clientimport").exists()
