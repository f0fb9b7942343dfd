"""The web's two doors (workspace/access.py) for the API: anyone signed in reads what
the selectors let them see; writing needs your own workspace and a token that may write."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from workspace.roles import sees_everything


class WorkspaceAccess(BasePermission):
    message = _("This token may only read.")

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        if sees_everything(request.user):
            # Managers oversee, read-only, as on the web (403 before any lookup).
            self.message = _("Managers can look at every workspace but change none.")
            return False
        token = request.auth
        return not getattr(token, "read_only", False)
