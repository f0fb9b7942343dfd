"""Client moves here from mailings (mailings/migrations/0018): the same table
(mailings_client), index and constraint, so nothing is rewritten; only Django's idea of
where it lives changes, and the relations to it with it. Its content type moves too, so
the permissions pointing at it and the admin's history keep working."""

import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor, source="mailings", target="audience"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label=target, model="client").exists():
        ContentType.objects.using(db).filter(app_label=source, model="client").update(
            app_label=target
        )


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source="audience", target="mailings")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('mailings', '0017_clientimport_suppressed_count'),
        ('audience', '0006_suppression_seed'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Client',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('email', models.EmailField(max_length=254, verbose_name='email')),
                        ('full_name', models.CharField(blank=True, max_length=255, verbose_name='full name')),
                        ('comment', models.TextField(blank=True, verbose_name='comment')),
                        ('attributes', models.JSONField(blank=True, default=dict, verbose_name='fields')),
                        ('unsubscribed_at', models.DateTimeField(blank=True, null=True, verbose_name='unsubscribed at')),
                        ('status', models.CharField(choices=[('active', 'Active'), ('unsubscribed', 'Unsubscribed'), ('bounced', 'Bounced'), ('complained', 'Complained'), ('pending', 'Waiting for confirmation')], default='active', editable=False, max_length=16, verbose_name='status')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='clients', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'client',
                        'verbose_name_plural': 'clients',
                        'db_table': 'mailings_client',
                        'ordering': ['email'],
                    },
                ),
                migrations.AlterField(
                    model_name='consentrecord',
                    name='client',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='consents', to='audience.client'),
                ),
                migrations.AlterField(
                    model_name='mailinglist',
                    name='members',
                    field=models.ManyToManyField(related_name='lists', through='audience.Membership', to='audience.client', verbose_name='members'),
                ),
                migrations.AlterField(
                    model_name='membership',
                    name='client',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='audience.client'),
                ),
                migrations.AlterField(
                    model_name='tag',
                    name='clients',
                    field=models.ManyToManyField(blank=True, related_name='tags', to='audience.client', verbose_name='clients'),
                ),
                migrations.AddIndex(
                    model_name='client',
                    index=models.Index(fields=['owner', 'email'], name='client_owner_email'),
                ),
                migrations.AddConstraint(
                    model_name='client',
                    constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('email'), models.F('owner'), name='client_email_unique_per_owner', violation_error_message='You already have a client with this email.'),
                ),
            ],
            database_operations=[
                migrations.RunPython(move_content_type, move_content_type_back),
            ],
        ),
    ]
