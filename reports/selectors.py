"""Reads: which runs a user may see. Pages, API and exports ask here."""

from django.db.models import QuerySet

from sending.models import Attempt
from workspace.roles import sees_everything


def attempts_visible_to(user) -> QuerySet[Attempt]:
    attempts = Attempt.objects.all()
    return attempts if sees_everything(user) else attempts.filter(mailing__owner=user)
