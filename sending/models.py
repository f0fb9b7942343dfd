from dataclasses import dataclass

from django.db import models
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
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
    sent until `retry_at`, with a growing pause each time it opens again. `local` is this
    machine failing (no EMAIL_URL: the outbox folder is full or not writable): the
    operator must act, and it is re-checked at a fixed, short interval.
    """

    class Reason(models.TextChoices):
        AUTH = "auth", _("The SMTP server refused our login")
        CONFIG = "config", _("The SMTP server address in EMAIL_URL is wrong")
        CONNECTION = "connection", _("The SMTP server is not answering")
        LOCAL = "local", _("The outbox folder cannot be written")

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
        return self.reason in (self.Reason.AUTH, self.Reason.CONFIG, self.Reason.LOCAL)


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
        # The sender's scan: only the pending rows, not the growing history of sent ones.
        indexes = [
            models.Index(
                fields=["next_try_at"], condition=Q(status="pending"), name="queued_email_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.status}"


@dataclass(frozen=True)
class FeedbackFigures:
    """The bounces and complaints of one run (or of many added up), each also as a
    percentage of the messages handed over to the server: sent, refused or of unknown
    fate. That is the base the run's protection compares with its limits."""

    handed_over: int
    hard_bounces: int
    soft_bounces: int
    complaints: int

    def _percent(self, count: int) -> float | None:
        return 100 * count / self.handed_over if self.handed_over else None

    @property
    def hard_bounce_percent(self) -> float | None:
        return self._percent(self.hard_bounces)

    @property
    def soft_bounce_percent(self) -> float | None:
        return self._percent(self.soft_bounces)

    @property
    def complaint_percent(self) -> float | None:
        return self._percent(self.complaints)


class AttemptQuerySet(models.QuerySet):
    def in_progress(self):
        return self.filter(status=Attempt.Status.IN_PROGRESS)

    def taking_slots(self):
        """Runs that took a schedule slot: the scheduled ones, and "Send now" runs that
        took the place of one."""
        return self.filter(Q(trigger=Attempt.Trigger.SCHEDULE) | Q(slot_at__isnull=False))

    def feedback_figures(self) -> FeedbackFigures:
        """The bounces and complaints of these runs added up, with their rates: what a
        mailing's page reads through its `attempts` (one query)."""
        columns = {
            "sent": "sent_count",
            "failed": "failed_count",
            "unknown": "unknown_count",
            "hard_bounces": "hard_bounce_count",
            "soft_bounces": "soft_bounce_count",
            "complaints": "complaint_count",
        }
        sums = self.aggregate(**{key: Coalesce(Sum(column), 0) for key, column in columns.items()})
        return FeedbackFigures(
            handed_over=sums["sent"] + sums["failed"] + sums["unknown"],
            hard_bounces=sums["hard_bounces"],
            soft_bounces=sums["soft_bounces"],
            complaints=sums["complaints"],
        )


class Attempt(models.Model):
    """One run of a mailing (not one per recipient).

    The engine's state, kept in the tables the mailings app created (only the model
    moved here: db_table keeps the old names).
    """

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        SUCCESS = "success", _("Success")
        FAILURE = "failure", _("Failure")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Schedule")
        MANUAL = "manual", _("Send now")

    mailing = models.ForeignKey(
        "mailings.Mailing", on_delete=models.CASCADE, related_name="attempts"
    )
    trigger = models.CharField(
        _("trigger"), max_length=16, choices=Trigger, default=Trigger.SCHEDULE
    )
    started_at = models.DateTimeField(_("started at"), db_index=True)
    # The schedule slot this run stands for (a one-off mailing has one: its start); None
    # for a run outside the schedule. Unique per mailing: no slot runs twice.
    slot_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status, default=Status.IN_PROGRESS, db_index=True
    )
    server_response = models.TextField(_("server response"), blank=True)
    total_count = models.PositiveIntegerField(_("recipients"), default=0)
    sent_count = models.PositiveIntegerField(_("sent"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    unknown_count = models.PositiveIntegerField(_("unknown"), default=0)
    # What came back (counted by the feedback app as bounces and complaints arrive).
    hard_bounce_count = models.PositiveIntegerField(_("hard bounces"), default=0)
    soft_bounce_count = models.PositiveIntegerField(_("soft bounces"), default=0)
    complaint_count = models.PositiveIntegerField(_("complaints"), default=0)
    # What people did with it (recounted by the tracking app): unique recipients, the
    # machines' (scanners, proxies, prefetches) apart.
    open_count = models.PositiveIntegerField(_("opened"), default=0)
    click_count = models.PositiveIntegerField(_("clicked"), default=0)
    machine_open_count = models.PositiveIntegerField(_("opened by machines"), default=0)
    machine_click_count = models.PositiveIntegerField(_("clicked by machines"), default=0)
    # Paused by its bounce or complaint rate: nothing is sent until the owner resumes it.
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    pause_reason = models.TextField(_("pause reason"), blank=True)

    objects = AttemptQuerySet.as_manager()

    class Meta:
        db_table = "mailings_attempt"
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["-started_at"]
        constraints = [
            # One run of a mailing at a time: a resend and a claim racing cannot both
            # open one, whatever the code checked beforehand.
            models.UniqueConstraint(
                fields=["mailing"],
                condition=Q(status="in_progress"),
                name="attempt_one_in_progress_per_mailing",
            ),
            models.UniqueConstraint(
                fields=["mailing", "slot_at"], name="attempt_one_per_schedule_slot"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mailing_id} @ {self.started_at:%Y-%m-%d %H:%M}"

    def feedback_figures(self, *, handed_over: int | None = None) -> FeedbackFigures:
        """Its bounces and complaints with their rates. The sent, failed and unknown
        counts are written when the run ends: a run under way passes its live count."""
        if handed_over is None:
            handed_over = self.sent_count + self.failed_count + self.unknown_count
        return FeedbackFigures(
            handed_over=handed_over,
            hard_bounces=self.hard_bounce_count,
            soft_bounces=self.soft_bounce_count,
            complaints=self.complaint_count,
        )


class DeliveryQuerySet(models.QuerySet):
    def counts(self, *, attempt_id: int) -> dict[str, int]:
        """How many rows of the run are in each status, and the total."""
        rows = (
            self.filter(attempt_id=attempt_id)
            .order_by()
            .values_list("status")
            # COUNT(*), not COUNT(id): the (attempt, status) index alone answers it.
            .annotate(count=Count("*"))
        )
        counts = {status: 0 for status in Delivery.Status.values}
        counts.update(dict(rows))
        counts["total"] = sum(counts[status] for status in Delivery.Status.values)
        return counts


class Delivery(models.Model):
    """One recipient of one run: makes a run resumable and keeps it from sending twice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Unknown")

    # A claim inserts a row per recipient (a million in one statement), and every index
    # and constraint of this table is paid per row: the two indexes that start with the
    # attempt serve its lookups, so it has no index of its own.
    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    # Deleting a client keeps the record of what was sent to its address. Django sets the
    # column to NULL itself when a client is deleted; a database constraint on top would
    # lock every recipient's client row at each claim's commit (half its time).
    client = models.ForeignKey(
        "audience.Client",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        db_constraint=False,
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

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["id"]
        db_table = "mailings_delivery"
        constraints = [
            models.UniqueConstraint(fields=["attempt", "client"], name="delivery_once_per_run"),
        ]
        indexes = [models.Index(fields=["attempt", "status"], name="delivery_attempt_status")]

    def __str__(self) -> str:
        return f"{self.email}: {self.status}"


# The rows whose message reached the server (taken, refused, or of unknown fate): the
# base of the bounce and complaint rates.
HANDED_OVER = (Delivery.Status.SENT, Delivery.Status.FAILED, Delivery.Status.UNKNOWN)


class RateSchedule(models.Model):
    """The next free send slot of one rate (SEND_RATE, or a relay's) for every worker
    together, when the cache is not Redis (sending.rates)."""

    key = models.CharField(max_length=100, primary_key=True)
    next_at = models.FloatField(default=0.0)  # a Unix time, in seconds

    class Meta:
        verbose_name = _("send rate schedule")
        verbose_name_plural = _("send rate schedules")

    def __str__(self) -> str:
        return self.key
