"""One account per mailbox whatever the case of its address.

Existing addresses are lower-cased first (the manager always stored them so; only rows
written around it can differ). Two accounts whose addresses differ only in case cannot be
merged by a migration: it stops and names them, so that an operator decides which to keep.
"""

from django.db import migrations, models
from django.db.models.functions import Lower


def lower_case_emails(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    users = User.objects.annotate(lowered=Lower("email"))
    clashes = (
        users.values("lowered").annotate(count=models.Count("pk")).filter(count__gt=1)
    )
    duplicates = sorted(clash["lowered"] for clash in clashes)
    if duplicates:
        raise RuntimeError(
            "These addresses belong to more than one account when case is ignored; "
            "merge or delete the extra accounts (manage.py shell or the admin), then "
            f"migrate again: {', '.join(duplicates)}"
        )
    for user in users.exclude(email=models.F("lowered")):
        User.objects.filter(pk=user.pk).update(email=user.lowered)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(lower_case_emails, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ignoring_case",
                violation_error_message="A user with this email already exists.",
            ),
        ),
    ]
