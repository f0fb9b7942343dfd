"""The two doors of the workspace, in one place (the healthchecks `_get_check_for_user` idea).

* Reading (lists, details): your own rows; managers see everyone's. A stranger's id is 404.
* Writing (new, edit, delete, import, send now): your own rows only; managers are
  read-only overseers and get 403 before anything else is looked at.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import ProtectedError, QuerySet

from .roles import sees_everything


class ReadAccessMixin(LoginRequiredMixin):
    """Objects the signed-in user may look at."""

    model: type

    def get_queryset(self) -> QuerySet:
        return self.model.objects.visible_to(self.request.user)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "oversight": sees_everything(self.request.user),
        }


class WriteAccessMixin(LoginRequiredMixin):
    """Objects the signed-in user owns and may change; overseers get 403."""

    model: type

    def dispatch(self, request, *args, **kwargs):
        if sees_everything(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet:
        return self.model.objects.owned_by(self.request.user)


class OwnerFormMixin(WriteAccessMixin):
    """New objects belong to the signed-in user; forms know their owner for validation."""

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if kwargs.get("instance") is None:
            kwargs["instance"] = self.model(owner=self.request.user)
        return {**kwargs, "owner": self.request.user}


class InUseDeleteMixin:
    """For a DeleteView of what mailings point at with PROTECT (a message, a segment):
    the page lists those mailings, and a refused delete says why instead of a 500."""

    in_use_message = ""

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "blocking_mailings": self.object.mailings.select_related("message").order_by("pk"),
        }

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ProtectedError:
            messages.error(self.request, self.in_use_message)
            return self.render_to_response(self.get_context_data(form=form))
