from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SendingConfig(AppConfig):
    name = "sending"
    verbose_name = _("Email sending")

    def ready(self) -> None:
        # Connects the receiver that turns the services' nudges into Celery tasks.
        from . import tasks  # noqa: F401
