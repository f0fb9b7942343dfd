"""Writes that copy what worked: a message or a mailing duplicated in one click."""

from django.db import transaction
from django.utils.translation import gettext

from .models import Mailing, Message

# Room left in a 255-character name for " (copy)" in any language.
NAME_ROOM = 230


@transaction.atomic
def message_duplicate(*, message: Message) -> Message:
    """A copy with the same subject, body and format (the subject is what recipients
    see, so it is not marked; the copy is told apart by being the newest)."""
    return Message.objects.create(
        owner=message.owner, subject=message.subject, body=message.body, format=message.format
    )


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
        status=Mailing.Status.DRAFT,
        next_run_at=None,
    )
    copy.clients.set(mailing.clients.values_list("pk", flat=True))
    return copy
