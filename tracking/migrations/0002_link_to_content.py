"""A run's links now belong to content (content/migrations/0002): the table keeps its
name and its rows; here only Django's idea of where it lives changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('content', '0002_link_moves_here'),
        ('tracking', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='click',
                    name='link',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='clicks', to='content.link'),
                ),
                migrations.DeleteModel(
                    name='Link',
                ),
            ],
            database_operations=[],
        ),
    ]
