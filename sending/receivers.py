"""Account emails follow their account: a deleted user's unsent ones are dropped, and the
sent ones are not kept beyond QUEUED_EMAIL_KEEP_DAYS. Work queued while Celery sends
becomes a task. An erased client's deliveries stay, anonymous (audience/privacy.py)."""

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Value
from django.db.models.functions import Replace
from django.db.models.signals import post_delete
from django.dispatch import receiver

from audience.signals import client_erasing

from .models import Attempt, Delivery, QueuedEmail
from .signals import ticked, work_queued

FORGET_EVERY = 60 * 60
FORGOTTEN_KEY = "sending:queued-emails-forgotten"
# Stored like a server's reply, so not translated.
NOT_SENT_ERASED = "Not sent: the recipient's data was erased."


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


def _without(column: str, addresses: set[str]):
    """`column` with every address in it replaced by nothing."""
    expression = F(column)
    for address in addresses:
        expression = Replace(expression, Value(address), Value(""))
    return expression


@receiver(client_erasing)
def client_deliveries_anonymise(sender, client, addresses: set[str], **kwargs) -> None:
    """The erased client's deliveries stay, counted as before, without saying who they
    went to; one still waiting in a run under way is failed instead of sent."""
    deliveries = Delivery.objects.filter(client=client)
    deliveries.filter(status=Delivery.Status.PENDING).update(
        status=Delivery.Status.FAILED, server_response=NOT_SENT_ERASED
    )
    Attempt.objects.filter(pk__in=deliveries.values("attempt_id")).update(
        server_response=_without("server_response", addresses)
    )
    deliveries.update(
        client=None,
        email="",
        full_name="",
        server_response=_without("server_response", addresses),
    )
