"""ClientImport now belongs to audience (audience/migrations/0008): its table keeps its
name and its rows; here only Django's idea of where it lives changes."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('audience', '0008_clientimport_moves_here'),
        ('mailings', '0019_message_to_content'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='ClientImport',
                ),
            ],
            database_operations=[],
        ),
    ]
