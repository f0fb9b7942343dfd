"""The Managers group and its permissions, created by migration rather than by hand."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGER_PERMISSIONS = [
    ("accounts", "user", "view_user"),
    ("accounts", "user", "block_user"),
    ("mailings", "mailing", "view_all_mailings"),
    ("mailings", "mailing", "disable_mailing"),
    ("mailings", "mailing", "view_mailing"),
    ("mailings", "client", "view_client"),
    ("mailings", "message", "view_message"),
    ("mailings", "attempt", "view_attempt"),
]


def create_managers_group(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now to attach them.
    for app_label in ("accounts", "mailings"):
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Managers")
    for app_label, model, codename in MANAGER_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(
                content_type__app_label=app_label, content_type__model=model, codename=codename
            )
        )


def remove_managers_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Managers").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("mailings", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_managers_group, remove_managers_group)]
