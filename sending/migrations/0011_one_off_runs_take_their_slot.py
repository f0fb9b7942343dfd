"""Runs made before slots were recorded (0010): a one-off mailing's first run takes its
one slot (its creation time, see sending.services.run_slot; later copies keep none),
and a one-off mailing that already ran but still waits for its scheduled time (the
"Send now" double send) is completed instead of sending again."""

from django.db import migrations
from django.db.models import Exists, OuterRef


def one_off_runs_take_their_slot(apps, schema_editor):
    Attempt = apps.get_model("sending", "Attempt")
    Mailing = apps.get_model("mailings", "Mailing")
    ran = Attempt.objects.filter(mailing=OuterRef("pk"))
    one_offs = Mailing.objects.filter(periodicity="once").filter(Exists(ran))
    for mailing in one_offs.iterator():
        first = Attempt.objects.filter(mailing=mailing).order_by("started_at", "pk").first()
        Attempt.objects.filter(pk=first.pk).update(slot_at=mailing.created_at)
    busy = Attempt.objects.filter(mailing=OuterRef("pk"), status="in_progress")
    one_offs.filter(status="created").update(status="completed", next_run_at=None)
    one_offs.filter(status="running", send_requested_at__isnull=True).exclude(Exists(busy)).update(
        status="completed", next_run_at=None
    )
    one_offs.filter(status="running").update(next_run_at=None)


class Migration(migrations.Migration):
    dependencies = [
        ("sending", "0010_attempt_schedule_slot"),
    ]

    operations = [
        migrations.RunPython(one_off_runs_take_their_slot, migrations.RunPython.noop),
    ]
