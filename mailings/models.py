from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from accounts.models import Tracking
from audience.models import Client
from content.models import Message
from workspace.querysets import OwnedQuerySet
from workspace.validators import validate_sane_date


class Mailing(models.Model):
    class Periodicity(models.TextChoices):
        ONCE = "once", _("Once")
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    class Status(models.TextChoices):
        # `created` only ever means "waiting for its first send" (the engine makes a
        # mailing whose start has come `running`), which users call scheduled.
        CREATED = "created", _("Scheduled")
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")
        # Context: contrib.auth's "Disabled" (a password) would win over ours in Russian.
        DISABLED = "disabled", pgettext_lazy("mailing status", "Disabled")
        # A copy not yet saved by its owner: the engine never looks at it (neither the
        # due scan nor "Send now"); saving it through the form schedules it.
        DRAFT = "draft", pgettext_lazy("mailing status", "Draft")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailings"
    )
    message = models.ForeignKey(
        Message, on_delete=models.PROTECT, related_name="mailings", verbose_name=_("message")
    )
    clients = models.ManyToManyField(
        Client, related_name="mailings", blank=True, verbose_name=_("clients")
    )
    # Beyond clients named one by one: whole lists, one segment, or everyone. The
    # recipients of a run are the union, active clients only, each once.
    lists = models.ManyToManyField(
        "audience.MailingList", related_name="mailings", blank=True, verbose_name=_("lists")
    )
    segment = models.ForeignKey(
        "audience.Segment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mailings",
        verbose_name=_("segment"),
    )
    all_clients = models.BooleanField(
        _("all my clients"), default=False, help_text=_("Every active client of yours.")
    )
    # Tells apart two mailings of one message; the form fills in the subject when empty.
    name = models.CharField(_("name"), max_length=255, blank=True)
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
    # Empty: as the owner's profile says (at the time of each run).
    tracking = models.CharField(
        _("engagement tracking"),
        max_length=16,
        choices=[("", _("As in my profile")), *Tracking.choices],
        blank=True,
        default="",
    )
    start_at = models.DateTimeField(_("first send"), validators=[validate_sane_date])
    end_at = models.DateTimeField(
        _("end"),
        null=True,
        blank=True,
        help_text=_("No run starts after this time."),
        validators=[validate_sane_date],
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
    send_requested_at = models.DateTimeField(null=True, blank=True)
    # The schedule slot that "Send now" took the place of (None for a run outside the
    # schedule): its run carries it, so that slot never runs a second time.
    requested_slot_at = models.DateTimeField(null=True, blank=True)
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
        # The scheduler's scan for due runs, every few seconds: only the rows that can be
        # due are indexed, not the growing history of completed and disabled mailings.
        indexes = [
            models.Index(
                fields=["next_run_at"],
                condition=Q(status__in=["created", "running"]),
                name="mailing_due_slot",
            ),
            models.Index(
                fields=["send_requested_at"],
                condition=Q(send_requested_at__isnull=False),
                name="mailing_send_requested",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_periodicity_display()})"

    def get_absolute_url(self) -> str:
        return reverse("mailings:mailing_detail", args=[self.pk])

    @property
    def tracking_mode(self) -> str:
        """The Tracking value that holds for this mailing (owner loaded)."""
        return self.tracking or self.owner.tracking

    @property
    def status_label(self) -> str:
        """The status as people say it: a one-off mailing whose one run has been set off
        was sent (its run's progress says how far it got)."""
        sent = (
            self.periodicity == self.Periodicity.ONCE
            and self.next_run_at is None
            and (
                self.status == self.Status.RUNNING
                or (
                    self.status == self.Status.COMPLETED
                    # Its window may have passed with the service down: then it never ran.
                    and (self.end_at is None or self.attempts.exists())
                )
            )
        )
        return pgettext("mailing status", "Sent") if sent else self.get_status_display()

    @property
    def title(self) -> str:
        """The name, or the subject for mailings saved before names existed."""
        return self.name or self.message.subject


# Statuses in which a due slot starts a run, and in which "Send now" does (a completed
# mailing may still be sent by hand).
SCHEDULED = (Mailing.Status.CREATED, Mailing.Status.RUNNING)
RUNNABLE = (*SCHEDULED, Mailing.Status.COMPLETED)
