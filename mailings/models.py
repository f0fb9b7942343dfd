from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OwnedQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(owner=user)


class Client(models.Model):
    """A recipient of mailings; not a user of the service."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clients"
    )
    email = models.EmailField(_("email"))
    full_name = models.CharField(_("full name"), max_length=255, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "owner",
                name="client_email_unique_per_owner",
                violation_error_message=_("You already have a client with this email."),
            ),
        ]
        # The client list: an owner's clients in address order, a page at a time.
        indexes = [models.Index(fields=["owner", "email"], name="client_owner_email")]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>" if self.full_name else self.email

    def get_absolute_url(self) -> str:
        return reverse("mailings:client_detail", args=[self.pk])


class Message(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages"
    )
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(
        _("body"),
        help_text=_("Plain text. {{ full_name }} and {{ email }} are replaced per recipient."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("mailings:message_detail", args=[self.pk])


class Mailing(models.Model):
    class Periodicity(models.TextChoices):
        ONCE = "once", _("Once")
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")
        # Context: contrib.auth's "Disabled" (a password) would win over ours in Russian.
        DISABLED = "disabled", pgettext_lazy("mailing status", "Disabled")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailings"
    )
    message = models.ForeignKey(
        Message, on_delete=models.PROTECT, related_name="mailings", verbose_name=_("message")
    )
    clients = models.ManyToManyField(
        Client, related_name="mailings", blank=True, verbose_name=_("clients")
    )
    # None: the platform's address (DEFAULT_FROM_EMAIL) with the owner's name.
    sender = models.ForeignKey(
        "senders.Sender",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mailings",
        verbose_name=_("sender"),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="ru",
        help_text=_("The language of the footer and of the unsubscribe page."),
    )
    start_at = models.DateTimeField(_("first send"))
    end_at = models.DateTimeField(
        _("end"), null=True, blank=True, help_text=_("No run starts after this time.")
    )
    periodicity = models.CharField(
        _("periodicity"), max_length=16, choices=Periodicity, default=Periodicity.ONCE
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status, default=Status.CREATED, db_index=True
    )
    # The schedule's cursor: when the next run is due (None once nothing follows).
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True, db_index=True)
    # Set by "Send now"; a scheduler pass claims it and clears it.
    send_requested_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")
        ordering = ["-created_at"]
        permissions = [
            ("view_all_mailings", _("Can see every user's mailings")),
            ("disable_mailing", _("Can disable any mailing")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_at__isnull=True) | Q(end_at__gt=models.F("start_at")),
                name="mailing_end_after_start",
                violation_error_message=_("The end must be after the first send."),
            ),
            models.CheckConstraint(
                condition=Q(end_at__isnull=False) | Q(periodicity="once"),
                name="mailing_periodic_has_end",
                violation_error_message=_("A periodic mailing needs an end."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message.subject} ({self.get_periodicity_display()})"

    def get_absolute_url(self) -> str:
        return reverse("mailings:mailing_detail", args=[self.pk])


class Attempt(models.Model):
    """One run of a mailing (not one per recipient)."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        SUCCESS = "success", _("Success")
        FAILURE = "failure", _("Failure")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Schedule")
        MANUAL = "manual", _("Send now")

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="attempts")
    trigger = models.CharField(
        _("trigger"), max_length=16, choices=Trigger, default=Trigger.SCHEDULE
    )
    started_at = models.DateTimeField(_("started at"), db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status, default=Status.IN_PROGRESS, db_index=True
    )
    server_response = models.TextField(_("server response"), blank=True)
    total_count = models.PositiveIntegerField(_("recipients"), default=0)
    sent_count = models.PositiveIntegerField(_("sent"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    unknown_count = models.PositiveIntegerField(_("unknown"), default=0)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.mailing_id} @ {self.started_at:%Y-%m-%d %H:%M}"


class Delivery(models.Model):
    """One recipient of one run: makes a run resumable and keeps it from sending twice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Unknown")

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="deliveries")
    # Deleting a client keeps the record of what was sent to its address.
    client = models.ForeignKey(
        Client, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    email = models.EmailField(_("email"))
    full_name = models.CharField(_("full name"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PENDING)
    server_response = models.TextField(_("server response"), blank=True)
    tries = models.PositiveSmallIntegerField(_("tries"), default=0)
    # When a worker took the row to send it; a stale stamp on a `sending` row means
    # the worker died with the message possibly handed over.
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_try_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "client"], name="delivery_once_per_run"),
        ]
        indexes = [models.Index(fields=["attempt", "status"], name="delivery_attempt_status")]

    def __str__(self) -> str:
        return f"{self.email}: {self.status}"
