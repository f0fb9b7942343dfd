from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tracking"
    verbose_name = _("Engagement")

    def ready(self) -> None:
        from audience.segments import engagement_field, field_register

        from . import receivers  # noqa: F401
        from .selectors import clients_engaged

        # Per-recipient tracked runs only: aggregate tracking does not know who.
        for name, label, kind in (
            ("opened", _("Opened"), "open"),
            ("clicked", _("Clicked"), "click"),
        ):
            field_register(
                name,
                engagement_field(
                    label,
                    lambda owner, runs, kind=kind: clients_engaged(
                        owner, kind=kind, last_mailings=runs
                    ),
                ),
                before="created_at",
            )
