"""A feedback event's client now lives in audience (audience/migrations/0007)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audience', '0007_client_moves_here'),
        ('feedback', '0001_feedback_events'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='feedbackevent',
                    name='client',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='feedback_events', to='audience.client'),
                ),
            ],
            database_operations=[],
        ),
    ]
