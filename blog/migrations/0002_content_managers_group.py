"""The Content managers group with full rights on blog posts, created by migration."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CONTENT_MANAGER_PERMISSIONS = [
    ("blog", "post", codename)
    for codename in ("add_post", "change_post", "delete_post", "view_post")
]


def create_content_managers_group(apps, schema_editor):
    app_config = apps.get_app_config("blog")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Content managers")
    for app_label, model, codename in CONTENT_MANAGER_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(
                content_type__app_label=app_label, content_type__model=model, codename=codename
            )
        )


def remove_content_managers_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Content managers").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_content_managers_group, remove_content_managers_group)
    ]
