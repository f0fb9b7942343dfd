"""Reads: which senders and domains a user may see (managers: everyone's, read-only)."""

from django.db.models import QuerySet

from workspace.roles import sees_everything

from .models import Domain, Sender


def senders_visible_to(user) -> QuerySet[Sender]:
    return Sender.objects.all() if sees_everything(user) else Sender.objects.owned_by(user)


def domains_visible_to(user) -> QuerySet[Domain]:
    return Domain.objects.all() if sees_everything(user) else Domain.objects.owned_by(user)
