from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

HOLD_ID = 1


class TransportHoldQuerySet(models.QuerySet):
    def blocking(self, *, fingerprint: str, now=None):
        """The hold that stops sending now through the transport with this fingerprint.

        A hold recorded for another EMAIL_URL no longer applies: the operator changed it.
        """
        now = now or timezone.now()
        return self.filter(pk=HOLD_ID, fingerprint=fingerprint, retry_at__gt=now).first()


class TransportHold(models.Model):
    """Sending stopped for every mailing, persisted so that every process sees it.

    `auth` and `config` mean the operator must fix EMAIL_URL: sending would only burn
    through recipients; they are re-checked now and then in case the server recovers on
    its own. `connection` is the circuit breaker: the server kept failing, so nothing is
    sent until `retry_at`, with a growing pause each time it opens again.
    """

    class Reason(models.TextChoices):
        AUTH = "auth", _("The SMTP server refused our login")
        CONFIG = "config", _("The SMTP server address in EMAIL_URL is wrong")
        CONNECTION = "connection", _("The SMTP server is not answering")

    reason = models.CharField(_("reason"), max_length=16, choices=Reason)
    server_response = models.TextField(_("server response"), blank=True)
    # A hash of EMAIL_URL (never the URL itself: it holds the password).
    fingerprint = models.CharField(max_length=64)
    since = models.DateTimeField(_("since"), default=timezone.now)
    retry_at = models.DateTimeField(_("next check"))
    # How many times in a row the breaker has opened: each pause is longer.
    openings = models.PositiveIntegerField(default=1)

    objects = TransportHoldQuerySet.as_manager()

    class Meta:
        verbose_name = _("sending hold")
        verbose_name_plural = _("sending holds")

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.server_response}"

    @property
    def needs_operator(self) -> bool:
        return self.reason in (self.Reason.AUTH, self.Reason.CONFIG)


class QueuedEmail(models.Model):
    """An account email (sign-up confirmation, password reset…) waiting for the sender.

    The web request only stores it, so a slow or broken SMTP server never holds up a
    page; the scheduler or a Celery worker sends it with the mailings' SMTP transport.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    envelope_from = models.CharField(max_length=254)
    recipient = models.CharField(max_length=254)
    data = models.BinaryField()
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    tries = models.PositiveSmallIntegerField(default=0)
    # Also the claim: a sender pushes it forward before sending, so no other takes the row.
    next_try_at = models.DateTimeField(default=timezone.now)
    last_reply = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("queued account email")
        verbose_name_plural = _("queued account emails")
        indexes = [models.Index(fields=["status", "next_try_at"], name="queued_email_due")]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.status}"
