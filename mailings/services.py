"""Writes that span several objects: a message or a mailing duplicated in one click,
and an image uploaded for messages. (Clients upserted in bulk: audience/upsert.py.)"""

from django.db import transaction
from django.utils.translation import gettext

from .images import email_version
from .models import Mailing, Message, MessageAttachment, MessageImage

# Room left in a 255-character name for " (copy)" in any language.
NAME_ROOM = 230


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


@transaction.atomic
def mailing_duplicate(*, mailing: Mailing) -> Mailing:
    """A draft with the same message, recipients, sender, language and schedule.

    A draft is invisible to the engine (neither due nor sendable) until its owner saves
    it through the form, which schedules it like a new mailing: a copy of a mailing
    whose start has passed never goes out by itself.
    """
    name = gettext("%(name)s (copy)") % {"name": mailing.title[:NAME_ROOM]}
    copy = Mailing.objects.create(
        owner=mailing.owner,
        message=mailing.message,
        name=name[:255],
        sender=mailing.sender,
        language=mailing.language,
        start_at=mailing.start_at,
        end_at=mailing.end_at,
        periodicity=mailing.periodicity,
        segment=mailing.segment,
        all_clients=mailing.all_clients,
        status=Mailing.Status.DRAFT,
        next_run_at=None,
    )
    copy.clients.set(mailing.clients.values_list("pk", flat=True))
    copy.lists.set(mailing.lists.values_list("pk", flat=True))
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
