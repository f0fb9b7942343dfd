"""Account emails follow their account: a deleted user's unsent ones are dropped, and the
sent ones are not kept beyond QUEUED_EMAIL_KEEP_DAYS. Work queued while Celery sends
becomes a task."""

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete
from django.dispatch import receiver

from audience.signals import client_erasing, client_exporting
from mailings.signals import run_wanted

from .models import QueuedEmail
from .signals import ticked, work_queued

FORGET_EVERY = 60 * 60
FORGOTTEN_KEY = "sending:queued-emails-forgotten"


@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
def user_deleted(sender, instance, **kwargs) -> None:
    # A confirmation or password reset for an account that no longer exists would only
    # confuse, and the address is personal data the user asked us to forget.
    QueuedEmail.objects.filter(
        recipient__iexact=instance.email, status=QueuedEmail.Status.PENDING
    ).delete()


@receiver(ticked)
def forget_old_account_emails(sender, **kwargs) -> None:
    # The first beat of the hour does it; with the cache away every beat does, cheaply.
    if cache.add(FORGOTTEN_KEY, True, timeout=FORGET_EVERY):
        from .mail_queue import queued_emails_forget  # the renderer: not at every start

        queued_emails_forget()


@receiver(work_queued)
def work_queued_enqueue(sender, mailing_id: int | None, **kwargs) -> None:
    # Imported here: a process that never queues work (a cron command, the embedded
    # scheduler) never loads Celery.
    from . import tasks

    if mailing_id is None:
        tasks.send_queued_emails.delay()
    else:
        tasks.dispatch_mailing.delay(mailing_id)


@receiver(run_wanted)
def mailing_run_wanted(sender, mailing_id: int, **kwargs) -> None:
    from .services import nudge  # the renderer: not at every start

    nudge(mailing_id)


@receiver(client_erasing)
def client_erased_deliveries(sender, client, addresses: set[str], **kwargs) -> None:
    from .services import deliveries_forget_client

    deliveries_forget_client(client=client, addresses=addresses)


@receiver(client_exporting)
def client_exported_deliveries(sender, client, **kwargs) -> dict:
    from .services import deliveries_export

    return {"deliveries": deliveries_export(client)}
