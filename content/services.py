"""Writes that span more than one row or a file: a message duplicated with its
attachments in one click, and an image uploaded for messages."""

from django.db import transaction

from .images import email_version
from .models import Message, MessageAttachment, MessageImage


@transaction.atomic
def message_duplicate(*, message: Message) -> Message:
    """A copy with the same subject, body, format and attachments (the subject is what
    recipients see, so it is not marked; the copy is told apart by being the newest)."""
    copy = Message.objects.create(
        owner=message.owner, subject=message.subject, body=message.body, format=message.format
    )
    MessageAttachment.objects.bulk_create(
        MessageAttachment(
            message=copy,
            name=attachment.name,
            content_type=attachment.content_type,
            data=attachment.data,
            size=attachment.size,
        )
        for attachment in message.attachments.all()
    )
    return copy


def message_image_create(*, owner, upload) -> MessageImage:
    """Store a checked upload (config.images.CheckedImageField) as emails show it."""
    version = email_version(upload)
    picture = MessageImage(owner=owner, name=upload.name[:100])
    # A named file: the image field reads its width and height from it.
    picture.image.save(version.name, version, save=False)
    try:
        picture.save()
    except BaseException:
        picture.image.storage.delete(picture.image.name)  # no file without its row
        raise
    return picture


def body_with_image(body: str, body_format: str, picture: MessageImage) -> str:
    """The body with the image at its end, where the owner can move it."""
    snippet = picture.html if body_format == Message.Format.HTML else picture.markdown
    return f"{body.rstrip()}\n\n{snippet}\n" if body.strip() else f"{snippet}\n"
