"""Rules of the engine kept by the database: one open run per mailing (a partial unique
index), and a partial index for the account-mail sender's scan of pending rows."""

from django.db import migrations, models
from django.utils import timezone

DOUBLE_RUN = (
    "Closed when the rule of one run at a time was introduced: another run of this "
    "mailing was open at the same time. Its unsent recipients are marked failed and can "
    "be sent again with Resend."
)


def close_double_runs(apps, schema_editor):
    """Two open runs of one mailing could exist before the rule (a resend racing a
    claim). The earliest keeps going; the others are closed, their unsent rows failed,
    so nobody is skipped silently and the constraint can be created."""
    Attempt = apps.get_model("sending", "Attempt")
    Delivery = apps.get_model("sending", "Delivery")
    open_runs = Attempt.objects.filter(status="in_progress").order_by("started_at", "pk")
    seen = set()
    for attempt in open_runs:
        if attempt.mailing_id not in seen:
            seen.add(attempt.mailing_id)
            continue
        Delivery.objects.filter(attempt=attempt, status__in=["pending", "sending"]).update(
            status="failed", server_response=DOUBLE_RUN
        )
        Attempt.objects.filter(pk=attempt.pk).update(
            status="failure", finished_at=timezone.now(), server_response=DOUBLE_RUN
        )


class Migration(migrations.Migration):
    dependencies = [
        ("sending", "0003_attempt_delivery_from_mailings"),
    ]

    operations = [
        migrations.RunPython(close_double_runs, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="attempt",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "in_progress")),
                fields=("mailing",),
                name="attempt_one_in_progress_per_mailing",
            ),
        ),
        migrations.RemoveIndex(model_name="queuedemail", name="queued_email_due"),
        migrations.AddIndex(
            model_name="queuedemail",
            index=models.Index(
                condition=models.Q(("status", "pending")),
                fields=["next_try_at"],
                name="queued_email_pending",
            ),
        ),
    ]
