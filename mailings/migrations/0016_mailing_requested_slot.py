

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('mailings', '0015_mailing_tracking'),
    ]

    operations = [
        migrations.AddField(
            model_name='mailing',
            name='requested_slot_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
