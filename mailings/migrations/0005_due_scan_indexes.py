"""The scheduler's scan for due runs reads only the mailings that can be due: partial
indexes instead of a full one on send_requested_at (null on nearly every row)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mailings", "0004_attempt_delivery_to_sending"),
    ]

    operations = [
        migrations.AlterField(
            model_name="mailing",
            name="send_requested_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="mailing",
            index=models.Index(
                condition=models.Q(("status__in", ["created", "running"])),
                fields=["next_run_at"],
                name="mailing_due_slot",
            ),
        ),
        migrations.AddIndex(
            model_name="mailing",
            index=models.Index(
                condition=models.Q(("send_requested_at__isnull", False)),
                fields=["send_requested_at"],
                name="mailing_send_requested",
            ),
        ),
    ]
