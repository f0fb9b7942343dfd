from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SendingConfig(AppConfig):
    name = "sending"
    verbose_name = _("Email sending")

    def ready(self) -> None:
        from . import signals  # noqa: F401
