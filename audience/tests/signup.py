"""Helpers of the subscription tests: a list, and the link out of a confirmation email."""

import re

from accounts.tests.factories import UserFactory
from audience.models import MailingList

LINK = re.compile(r"https?://\S+/subscribe/[^/\s]+/confirm/[^/\s]+/")


def list_of(owner=None, **fields) -> MailingList:
    owner = owner or UserFactory(first_name="Анна", last_name="Лаврова")
    return MailingList.objects.create(owner=owner, **{"name": "Новости лавки", **fields})


def confirmation_path(body: str) -> str:
    """The path of the one confirmation link in an email's text."""
    (url,) = LINK.findall(body)
    return "/" + url.split("/", 3)[3]
