from django.db import migrations, models


def status_from_unsubscribed_at(apps, schema_editor):
    Client = apps.get_model("mailings", "Client")
    Client.objects.filter(unsubscribed_at__isnull=False).update(status="unsubscribed")


def unsubscribed_at_from_status(apps, schema_editor):
    # Going back, only the unsubscribe survives: bounced and complained clients
    # would receive again, so a complaint keeps its unsubscribed_at (set with it).
    pass


class Migration(migrations.Migration):
    dependencies = [
        ("mailings", "0008_mailing_sender_and_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="client",
            name="status",
            field=models.CharField(
                choices=[
                    ("active", "Active"),
                    ("unsubscribed", "Unsubscribed"),
                    ("bounced", "Bounced"),
                    ("complained", "Complained"),
                ],
                default="active",
                editable=False,
                max_length=16,
                verbose_name="status",
            ),
        ),
        migrations.RunPython(status_from_unsubscribed_at, unsubscribed_at_from_status),
    ]
