"""Message, its attachments and images now belong to content
(content/migrations/0001): their tables keep their names and their rows; here only
Django's idea of where they live changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('content', '0001_message_moves_here'),
        ('mailings', '0018_client_to_audience'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='mailing',
                    name='message',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='mailings', to='content.message', verbose_name='message'),
                ),
                migrations.DeleteModel(
                    name='MessageAttachment',
                ),
                migrations.DeleteModel(
                    name='MessageImage',
                ),
                migrations.DeleteModel(
                    name='Message',
                ),
            ],
            database_operations=[],
        ),
    ]
