import secrets
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from accounts.models import Tracking
from audience.models import Client
from workspace.querysets import OwnedQuerySet
from workspace.validators import validate_sane_date


class MessageImageQuerySet(OwnedQuerySet):
    def visible_to(self, user):
        # An overseer's list names each image's owner.
        return super().visible_to(user).select_related("owner")


class ClientImportQuerySet(OwnedQuerySet):
    def visible_to(self, user):
        # The uploaded file may be megabytes: no page needs it.
        return super().visible_to(user).defer("data")


class Message(models.Model):
    class Format(models.TextChoices):
        PLAIN = "plain", _("Plain text")
        MARKDOWN = "markdown", _("Markdown")
        HTML = "html", _("HTML")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages"
    )
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(
        _("body"),
        help_text=_("{{ full_name }} and {{ email }} are replaced per recipient."),
    )
    format = models.CharField(
        _("format"),
        max_length=16,
        choices=Format,
        default=Format.PLAIN,
        help_text=_(
            "Markdown: # headings, - lists, [links](https://…), ![images](https://…) and "
            "buttons as [text](https://…){.button}. HTML: your own markup, cleaned of "
            "scripts and remote styles."
        ),
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


class MessageAttachment(models.Model):
    """A file sent with every email of its message. Kept in the database (at most
    mailings.attachments.MAX_TOTAL_BYTES per message) so that a worker on any host can
    attach it."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    name = models.CharField(_("name"), max_length=100)
    content_type = models.CharField(max_length=100)
    data = models.BinaryField(editable=False)
    size = models.PositiveIntegerField(_("size"))
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


def message_image_path(image: "MessageImage", filename: str) -> str:
    """Each owner's images in their own folder, under a name nobody can guess: the files
    are public (mail clients fetch them without a login), the list of them is not."""
    return f"message-images/{image.owner_id}/{secrets.token_urlsafe(16)}{PurePath(filename).suffix}"


class MessageImage(models.Model):
    """An image uploaded for messages, stored as it goes out (mailings.images) and shown
    in emails from SITE_URL."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_images"
    )
    image = models.ImageField(
        _("image"), upload_to=message_image_path, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(_("width"), editable=False)
    height = models.PositiveIntegerField(_("height"), editable=False)
    # The uploaded file's (cleaned) name, for the owner to recognise it.
    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = MessageImageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message image")
        verbose_name_plural = _("message images")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("mailings:message_image_detail", args=[self.pk])

    @property
    def email_url(self) -> str:
        """Absolute: an email has no page address to resolve a path against."""
        return settings.SITE_URL + self.image.url

    @property
    def markdown(self) -> str:
        return f"![]({self.email_url})"

    @property
    def html(self) -> str:
        return f'<img src="{self.email_url}" alt="" width="{min(self.width, 600)}">'


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


class ClientImport(models.Model):
    """A CSV upload waiting for, or done by, a worker: large files take longer than a
    request may. The file is kept in the database (at most a few megabytes) so that any
    worker on any host can read it, and emptied once the import is over."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_imports"
    )
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    data = models.BinaryField(editable=False)
    # The language of the row errors: the uploader's, not the worker's.
    language = models.CharField(max_length=16, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status, default=Status.QUEUED, db_index=True
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    created_count = models.PositiveIntegerField(_("added"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    # Of the added: addresses on the suppression list, added with its status.
    suppressed_count = models.PositiveIntegerField(_("suppressed"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    # The first rows with errors: [{"line": 3, "email": "…", "reason": "…"}, …].
    errors = models.JSONField(_("errors"), default=list, blank=True)
    # Why the file as a whole could not be read (encoding, no email column).
    failure = models.TextField(_("failure"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Moves with the progress: a running import whose stamp stopped lost its worker.
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClientImportQuerySet.as_manager()

    class Meta:
        verbose_name = _("client import")
        verbose_name_plural = _("client imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("mailings:client_import_detail", args=[self.pk])

    @property
    def is_over(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
