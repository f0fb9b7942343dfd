from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Bounces and complaints")

    def ready(self) -> None:
        # esp_webhooks (anymail, its parsers) connects its receiver when the URLs load
        # it, before any webhook can arrive: commands and workers never pay for it.
        from . import receivers  # noqa: F401
