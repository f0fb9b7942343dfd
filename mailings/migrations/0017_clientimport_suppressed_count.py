from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mailings", "0016_mailing_requested_slot"),
    ]

    operations = [
        migrations.AddField(
            model_name="clientimport",
            name="suppressed_count",
            field=models.PositiveIntegerField(default=0, verbose_name="suppressed"),
        ),
    ]
