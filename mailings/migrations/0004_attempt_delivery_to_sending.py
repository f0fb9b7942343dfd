"""Attempt and Delivery are the sending engine's state: they now belong to the sending
app (sending/migrations/0003). Only Django's idea of where they live changes; their
tables keep their names and their rows."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("mailings", "0003_client_owner_email_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Delivery"),
                migrations.DeleteModel(name="Attempt"),
            ],
            database_operations=[],
        ),
    ]
