"""Reads: which senders and domains a user may see (managers: everyone's, read-only)."""

from django.db.models import QuerySet

from workspace.roles import sees_everything

from .models import Domain, Sender


def senders_visible_to(user) -> QuerySet[Sender]:
    return Sender.objects.all() if sees_everything(user) else Sender.objects.owned_by(user)


def domains_visible_to(user) -> QuerySet[Domain]:
    return Domain.objects.all() if sees_everything(user) else Domain.objects.owned_by(user)


def test_send_addresses(owner) -> list[str]:
    """Where a user may send themselves a test: their own address and their usable
    senders' (confirmed addresses, or on a verified domain)."""
    addresses = [owner.email]
    for address in Sender.objects.usable_by(owner).values_list("email", flat=True):
        if address.lower() not in (known.lower() for known in addresses):
            addresses.append(address)
    return addresses


def default_sender(owner) -> Sender | None:
    """Who the owner's mail outside a mailing (a test copy) comes from: their default
    sender while usable, else another usable one; None when they have none, and only then
    the platform's address."""
    return Sender.objects.usable_by(owner).order_by("-is_default", "name", "pk").first()
