"""Message, its attachments and the images uploaded for messages move here from mailings
(mailings/migrations/0019): the same tables (mailings_message…), so nothing is rewritten;
only Django's idea of where they live changes. Their content types move too, so the
permissions pointing at them and the admin's history keep working."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import content.models

MODELS = ("message", "messageattachment", "messageimage")


def move_content_types(apps, schema_editor, source="mailings", target="content"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        if not ContentType.objects.using(db).filter(app_label=target, model=model).exists():
            ContentType.objects.using(db).filter(app_label=source, model=model).update(
                app_label=target
            )


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="content", target="mailings")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('mailings', '0018_client_to_audience'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Message',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('subject', models.CharField(max_length=255, verbose_name='subject')),
                        ('body', models.TextField(help_text='{{ full_name }} and {{ email }} are replaced per recipient.', verbose_name='body')),
                        ('format', models.CharField(choices=[('plain', 'Plain text'), ('markdown', 'Markdown'), ('html', 'HTML')], default='plain', help_text='Markdown: # headings, - lists, [links](https://…), ![images](https://…) and buttons as [text](https://…){.button}. HTML: your own markup, cleaned of scripts and remote styles.', max_length=16, verbose_name='format')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='messages', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'message',
                        'verbose_name_plural': 'messages',
                        'db_table': 'mailings_message',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='MessageAttachment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                        ('content_type', models.CharField(max_length=100)),
                        ('data', models.BinaryField()),
                        ('size', models.PositiveIntegerField(verbose_name='size')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='added at')),
                        ('message', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attachments', to='content.message', verbose_name='message')),
                    ],
                    options={
                        'verbose_name': 'attachment',
                        'verbose_name_plural': 'attachments',
                        'db_table': 'mailings_messageattachment',
                        'ordering': ['pk'],
                    },
                ),
                migrations.CreateModel(
                    name='MessageImage',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('image', models.ImageField(height_field='height', upload_to=content.models.message_image_path, verbose_name='image', width_field='width')),
                        ('width', models.PositiveIntegerField(editable=False, verbose_name='width')),
                        ('height', models.PositiveIntegerField(editable=False, verbose_name='height')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='uploaded at')),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='message_images', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'message image',
                        'verbose_name_plural': 'message images',
                        'db_table': 'mailings_messageimage',
                        'ordering': ['-created_at', '-pk'],
                    },
                ),
            ],
            database_operations=[
                migrations.RunPython(move_content_types, move_content_types_back),
            ],
        ),
    ]
