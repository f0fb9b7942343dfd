"""A delivery's client now lives in audience (audience/migrations/0007)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audience', '0007_client_moves_here'),
        ('sending', '0011_one_off_runs_take_their_slot'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='delivery',
                    name='client',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='deliveries', to='audience.client'),
                ),
            ],
            database_operations=[],
        ),
    ]
