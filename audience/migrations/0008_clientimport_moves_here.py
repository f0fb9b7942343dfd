"""ClientImport moves here from mailings (mailings/migrations/0020): the same table
(mailings_clientimport), so nothing is rewritten; only Django's idea of where it lives
changes. Its content type moves too, so the permissions pointing at it and the admin's
history keep working."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor, source="mailings", target="audience"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label=target, model="clientimport").exists():
        ContentType.objects.using(db).filter(app_label=source, model="clientimport").update(
            app_label=target
        )


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source="audience", target="mailings")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('mailings', '0019_message_to_content'),
        ('audience', '0007_client_moves_here'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ClientImport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('file_name', models.CharField(blank=True, max_length=255, verbose_name='file')),
                        ('data', models.BinaryField()),
                        ('language', models.CharField(blank=True, max_length=16)),
                        ('status', models.CharField(choices=[('queued', 'Waiting'), ('running', 'Importing'), ('done', 'Finished'), ('failed', 'Failed')], db_index=True, default='queued', max_length=16, verbose_name='status')),
                        ('total_rows', models.PositiveIntegerField(default=0, verbose_name='rows')),
                        ('rows_done', models.PositiveIntegerField(default=0, verbose_name='rows done')),
                        ('created_count', models.PositiveIntegerField(default=0, verbose_name='added')),
                        ('updated_count', models.PositiveIntegerField(default=0, verbose_name='updated')),
                        ('unchanged_count', models.PositiveIntegerField(default=0, verbose_name='unchanged')),
                        ('suppressed_count', models.PositiveIntegerField(default=0, verbose_name='suppressed')),
                        ('error_count', models.PositiveIntegerField(default=0, verbose_name='rows with errors')),
                        ('errors', models.JSONField(blank=True, default=list, verbose_name='errors')),
                        ('failure', models.TextField(blank=True, verbose_name='failure')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='started at')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='client_imports', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'client import',
                        'verbose_name_plural': 'client imports',
                        'db_table': 'mailings_clientimport',
                        'ordering': ['-created_at'],
                    },
                ),
            ],
            database_operations=[
                migrations.RunPython(move_content_type, move_content_type_back),
            ],
        ),
    ]
