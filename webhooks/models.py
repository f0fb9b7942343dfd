import base64
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    RUN_STARTED = "run.started", _("A run of a mailing started")
    RUN_FINISHED = "run.finished", _("A run of a mailing finished")
    CLIENT_UNSUBSCRIBED = "client.unsubscribed", _("A client unsubscribed")
    DELIVERY_FAILED = "delivery.failed", _("The mail server refused a recipient for good")
    CLIENT_BOUNCED = "client.bounced", _("A client's address bounced and was suppressed")
    CLIENT_COMPLAINED = "client.complained", _("A client complained of spam and was suppressed")
    SUBSCRIBER_CONFIRMED = "subscriber.confirmed", _("A subscriber confirmed the subscription")


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class Endpoint(models.Model):
    """Where a user wants to hear about events, signed with the endpoint's own secret."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=100, default=new_secret)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    # The first failure of the current streak; a day of failures disables the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.url

    def get_absolute_url(self) -> str:
        return reverse("webhooks:detail", args=[self.pk])


class WebhookMessage(models.Model):
    """One event for one endpoint, and how sending it went (the endpoint's delivery log)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="messages")
    # What happened, once: the same event found twice is not sent twice.
    event_key = models.CharField(max_length=100)
    event_type = models.CharField(_("event"), max_length=40, choices=EventType)
    msg_id = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PENDING)
    tries = models.PositiveSmallIntegerField(_("tries"), default=0)
    next_try_at = models.DateTimeField(default=timezone.now)
    response_status = models.PositiveSmallIntegerField(_("response"), null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_key"], name="webhook_event_once")
        ]
        indexes = [
            models.Index(
                fields=["next_try_at"], condition=Q(status="pending"), name="webhook_pending_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id}: {self.status}"


class EventCursor(models.Model):
    """How far the event collector has read one source of events."""

    name = models.CharField(max_length=40, unique=True)
    position = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.position}"
