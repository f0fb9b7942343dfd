"""Each run records the schedule slot it stands for, and the database refuses a slot
run twice (the data of runs made before this rule is mended in 0011, a migration of
its own: PostgreSQL refuses to alter a table in the transaction that changed its rows).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mailings", "0016_mailing_requested_slot"),
        ("sending", "0009_rateschedule"),
    ]

    operations = [
        migrations.AddField(
            model_name="attempt",
            name="slot_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="scheduled for"),
        ),
        migrations.AddConstraint(
            model_name="attempt",
            constraint=models.UniqueConstraint(
                fields=("mailing", "slot_at"), name="attempt_one_per_schedule_slot"
            ),
        ),
    ]
