"""Account emails follow their account: a deleted user's unsent ones are dropped."""

from django.conf import settings
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import QueuedEmail


@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
def user_deleted(sender, instance, **kwargs) -> None:
    # A confirmation or password reset for an account that no longer exists would only
    # confuse, and the address is personal data the user asked us to forget.
    QueuedEmail.objects.filter(
        recipient__iexact=instance.email, status=QueuedEmail.Status.PENDING
    ).delete()
