from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SendingConfig(AppConfig):
    name = "sending"
    verbose_name = _("Email sending")

    def ready(self) -> None:
        # What the engine's tables do when other apps' rows go, and the receiver that
        # turns the services' nudges into Celery tasks (Celery loaded only then).
        from . import receivers  # noqa: F401
