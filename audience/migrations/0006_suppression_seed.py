"""The clients unsubscribed, bounced or complained before the list existed seed it.

The hash is audience.suppressions.address_hashes(...)[0], copied here so that this
migration keeps what it wrote whatever that module becomes.
"""

from django.conf import settings
from django.db import migrations
from django.utils.crypto import salted_hmac

SUPPRESSED_STATUSES = ("unsubscribed", "bounced", "complained")


def address_hash(email: str) -> str:
    return salted_hmac(
        "audience.suppression",
        email.strip().lower(),
        secret=settings.FIELD_ENCRYPTION_KEY[0],
        algorithm="sha256",
    ).hexdigest()


def seed(apps, schema_editor):
    Client = apps.get_model("mailings", "Client")
    Suppression = apps.get_model("audience", "Suppression")
    clients = (
        Client.objects.filter(status__in=SUPPRESSED_STATUSES)
        .order_by("pk")
        .values_list("owner_id", "email", "status", "unsubscribed_at", "updated_at")
    )
    batch = []
    for owner_id, email, status, unsubscribed_at, updated_at in clients.iterator(chunk_size=2000):
        batch.append(
            Suppression(
                owner_id=owner_id,
                address_hash=address_hash(email),
                email=email.strip().lower(),
                reason=status,
                suppressed_at=unsubscribed_at or updated_at,
            )
        )
        if len(batch) >= 2000:
            Suppression.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Suppression.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("audience", "0005_suppression"),
        ("mailings", "0015_mailing_tracking"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
