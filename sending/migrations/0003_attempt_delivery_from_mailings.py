"""Attempt and Delivery move here from the mailings app (mailings/migrations/0004): the
same tables (mailings_attempt, mailings_delivery), indexes and constraints, so nothing is
rewritten. Their content types move with them, so the permissions pointing at them (the
Managers' view_attempt) and admin history keep working."""

import django.db.models.deletion
from django.db import migrations, models

MOVED = ["attempt", "delivery"]


def move_content_types(apps, schema_editor, source="mailings", target="sending"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MOVED:
        if not ContentType.objects.using(db).filter(app_label=target, model=model).exists():
            ContentType.objects.using(db).filter(app_label=source, model=model).update(
                app_label=target
            )


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="sending", target="mailings")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("mailings", "0004_attempt_delivery_to_sending"),
        ("sending", "0002_queued_email"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Attempt",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("trigger", models.CharField(choices=[("schedule", "Schedule"), ("manual", "Send now")], default="schedule", max_length=16, verbose_name="trigger")),
                        ("started_at", models.DateTimeField(db_index=True, verbose_name="started at")),
                        ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished at")),
                        ("status", models.CharField(choices=[("in_progress", "In progress"), ("success", "Success"), ("failure", "Failure")], db_index=True, default="in_progress", max_length=16, verbose_name="status")),
                        ("server_response", models.TextField(blank=True, verbose_name="server response")),
                        ("total_count", models.PositiveIntegerField(default=0, verbose_name="recipients")),
                        ("sent_count", models.PositiveIntegerField(default=0, verbose_name="sent")),
                        ("failed_count", models.PositiveIntegerField(default=0, verbose_name="failed")),
                        ("unknown_count", models.PositiveIntegerField(default=0, verbose_name="unknown")),
                        ("mailing", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="attempts", to="mailings.mailing")),
                    ],
                    options={
                        "verbose_name": "attempt",
                        "verbose_name_plural": "attempts",
                        "db_table": "mailings_attempt",
                        "ordering": ["-started_at"],
                    },
                ),
                migrations.CreateModel(
                    name="Delivery",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("email", models.EmailField(max_length=254, verbose_name="email")),
                        ("full_name", models.CharField(blank=True, max_length=255, verbose_name="full name")),
                        ("status", models.CharField(choices=[("pending", "Pending"), ("sending", "Sending"), ("sent", "Sent"), ("failed", "Failed"), ("unknown", "Unknown")], default="pending", max_length=16, verbose_name="status")),
                        ("server_response", models.TextField(blank=True, verbose_name="server response")),
                        ("tries", models.PositiveSmallIntegerField(default=0, verbose_name="tries")),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        ("next_try_at", models.DateTimeField(blank=True, null=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent at")),
                        ("attempt", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="deliveries", to="sending.attempt")),
                        ("client", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="deliveries", to="mailings.client")),
                    ],
                    options={
                        "verbose_name": "delivery",
                        "verbose_name_plural": "deliveries",
                        "db_table": "mailings_delivery",
                        "ordering": ["id"],
                        "indexes": [models.Index(fields=["attempt", "status"], name="delivery_attempt_status")],
                        "constraints": [models.UniqueConstraint(fields=("attempt", "client"), name="delivery_once_per_run")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back, elidable=True),
    ]
