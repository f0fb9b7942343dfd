from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Bounces and complaints")

    def ready(self) -> None:
        from . import esp_webhooks, receivers  # noqa: F401
