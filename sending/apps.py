from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SendingConfig(AppConfig):
    name = "sending"
    verbose_name = _("Email sending")

    def ready(self) -> None:
        # tasks: the receiver that turns the services' nudges into Celery tasks;
        # receivers: what the engine's tables do when other apps' rows go.
        from . import receivers, tasks  # noqa: F401
