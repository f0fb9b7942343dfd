"""Client now belongs to audience (audience/migrations/0007): its table keeps its name
and its rows; here only Django's idea of where it lives changes."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sending', '0012_delivery_client_in_audience'),
        ('feedback', '0002_event_client_in_audience'),
        ('audience', '0007_client_moves_here'),
        ('mailings', '0017_clientimport_suppressed_count'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='mailing',
                    name='clients',
                    field=models.ManyToManyField(blank=True, related_name='mailings', to='audience.client', verbose_name='clients'),
                ),
                migrations.DeleteModel(
                    name='Client',
                ),
            ],
            database_operations=[],
        ),
    ]
