"""The queryset every owned row has: the access door reads through `visible_to`."""

from django.db import models

from .roles import sees_everything


class OwnedQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(owner=user)

    def visible_to(self, user):
        """The rows `user` may look at: their own; an overseer's, everyone's."""
        return self.all() if sees_everything(user) else self.owned_by(user)
