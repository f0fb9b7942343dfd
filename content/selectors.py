from django.db.models import QuerySet

from audience.models import Client
from workspace.search import search_q, search_text

from .models import Message, MessageImage

# The preview's client search shows a few matches, never a list of everyone.
PREVIEW_MATCHES = 20


def messages_visible_to(user) -> QuerySet[Message]:
    return Message.objects.visible_to(user)


def message_images_visible_to(user) -> QuerySet[MessageImage]:
    return MessageImage.objects.visible_to(user)


def preview_clients(user, message: Message) -> QuerySet[Client]:
    """Whom `message` may be previewed and tested as: its owner's clients, when `user`
    may see them (the owner; a manager, read-only)."""
    return Client.objects.visible_to(user).filter(owner_id=message.owner_id)


def preview_clients_matching(user, message: Message, raw_query: str) -> list[Client]:
    """The first PREVIEW_MATCHES of those clients whose name or address holds every word."""
    query = search_text(raw_query)
    if not query:
        return []
    found = preview_clients(user, message).filter(search_q(("email", "full_name"), query))
    return list(found.order_by("email", "pk")[:PREVIEW_MATCHES])


def message_mailings(message: Message) -> QuerySet:
    """The mailings that send `message`: a preview or a test may be as one of them sends it."""
    return message.mailings.filter(owner_id=message.owner_id).select_related("owner")
