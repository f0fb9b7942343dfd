from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FeedbackEvent(models.Model):
    """What a mail server or a recipient told us about one address: a hard or a soft
    bounce, or a spam complaint. The suppression policy reads these; the client's
    `status` holds its outcome."""

    class Kind(models.TextChoices):
        HARD = "hard", _("Hard bounce")
        SOFT = "soft", _("Soft bounce")
        COMPLAINT = "complaint", _("Complaint")

    class Source(models.TextChoices):
        SMTP = "smtp", _("Reply while sending")
        DSN = "dsn", _("Bounce report")
        ARF = "arf", _("Complaint report")
        WEBHOOK = "webhook", _("Provider webhook")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback_events"
    )
    client = models.ForeignKey(
        "audience.Client", on_delete=models.CASCADE, related_name="feedback_events"
    )
    delivery = models.ForeignKey(
        "sending.Delivery",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback_events",
    )
    email = models.EmailField(_("email"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    source = models.CharField(_("source"), max_length=16, choices=Source)
    # The enhanced status (5.1.1) or the reply code (550); a complaint's feedback type.
    status_code = models.CharField(_("status code"), max_length=32, blank=True)
    server_response = models.TextField(_("server response"), blank=True)
    created_at = models.DateTimeField(_("date"), default=timezone.now)
    # Set when the owner reactivates the client: the event no longer counts.
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bounce or complaint")
        verbose_name_plural = _("bounces and complaints")
        ordering = ["-created_at", "-pk"]
        # The soft-bounce count of one client within the window.
        indexes = [models.Index(fields=["client", "kind", "created_at"], name="feedback_client")]

    def __str__(self) -> str:
        return f"{self.email}: {self.kind}"
