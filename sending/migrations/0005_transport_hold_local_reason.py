"""A hold of its own for this machine's failures (the outbox folder full or not
writable), re-checked at a fixed interval. Only the choices change: no table is touched."""

from django.db import migrations, models

REASONS = [
    ("auth", "The SMTP server refused our login"),
    ("config", "The SMTP server address in EMAIL_URL is wrong"),
    ("connection", "The SMTP server is not answering"),
    ("local", "The outbox folder cannot be written"),
]


class Migration(migrations.Migration):
    dependencies = [("sending", "0004_one_run_at_a_time")]

    operations = [
        migrations.AlterField(
            model_name="transporthold",
            name="reason",
            field=models.CharField(choices=REASONS, max_length=16, verbose_name="reason"),
        ),
    ]
