"""An image's file goes with its row, however the row goes (its page, or its owner's
account deleted with everything in it)."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from config.images import delete_files_on_commit

from .models import MessageImage


@receiver(post_delete, sender=MessageImage)
def message_image_deleted(sender, instance: MessageImage, **kwargs) -> None:
    delete_files_on_commit(instance.image.storage, [instance.image.name])
