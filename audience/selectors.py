"""Reads of the audience app: which rows a user may see (managers see all, read-only)."""

from django.db.models import QuerySet

from mailings.selectors import sees_everything

from .models import Segment


def segments_visible_to(user) -> QuerySet[Segment]:
    segments = Segment.objects.all()
    return segments if sees_everything(user) else segments.owned_by(user)
