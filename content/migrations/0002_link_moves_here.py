"""A run's links move here from tracking (tracking/migrations/0002): the same table
(tracking_link) and constraint, so nothing is rewritten. The renderer stores them as it
prepares a run; tracking reads them. Their content type moves too."""

import django.db.models.deletion
from django.db import migrations, models


def move_content_type(apps, schema_editor, source="tracking", target="content"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label=target, model="link").exists():
        ContentType.objects.using(db).filter(app_label=source, model="link").update(
            app_label=target
        )


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source="content", target="tracking")


class Migration(migrations.Migration):

    dependencies = [
        ('content', '0001_message_moves_here'),
        ('sending', '0012_delivery_client_in_audience'),
        ('tracking', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Link',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('url', models.TextField(verbose_name='address')),
                        ('url_hash', models.CharField(max_length=64)),
                        ('attempt', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='links', to='sending.attempt', verbose_name='run')),
                    ],
                    options={
                        'verbose_name': 'link',
                        'verbose_name_plural': 'links',
                        'db_table': 'tracking_link',
                        'constraints': [models.UniqueConstraint(fields=('attempt', 'url_hash'), name='link_once_per_run')],
                    },
                ),
            ],
            database_operations=[
                migrations.RunPython(move_content_type, move_content_type_back),
            ],
        ),
    ]
