from django.db.models import QuerySet

from .models import Message, MessageImage


def messages_visible_to(user) -> QuerySet[Message]:
    return Message.objects.visible_to(user)


def message_images_visible_to(user) -> QuerySet[MessageImage]:
    return MessageImage.objects.visible_to(user)
