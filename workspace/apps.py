from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    name = "workspace"
    verbose_name = _("Workspace")

    def ready(self) -> None:
        # search: connects the SQLite case-folding function used by list search.
        from . import search  # noqa: F401
