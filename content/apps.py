from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = _("Messages")

    def ready(self) -> None:
        # receivers: an image's file goes with its row.
        from . import receivers  # noqa: F401
