"""Who a mailing can reach beyond clients named one by one: lists (with their public
subscription forms and consent records), tags and segments.

The recipient itself, `Client`, lives here too, with its CSV imports (`ClientImport`):
every recipient concern is this room's.
`Mailing.clients`, `Mailing.lists` and `Mailing.segment` are the targets a mailing names
here.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from workspace.querysets import OwnedQuerySet


class ClientQuerySet(OwnedQuerySet):
    def receiving(self):
        return self.filter(status=Client.Status.ACTIVE)


class Client(models.Model):
    """A recipient of mailings; not a user of the service.

    Only `active` clients receive mailings. `unsubscribed_at` keeps the date of the
    recipient's own unsubscribe (also set by a spam complaint); `status` says why a
    client receives nothing: it unsubscribed, its address bounced, or it complained.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Complained")
        # Signed up through a double opt-in form and has not followed the link yet.
        PENDING = "pending", _("Waiting for confirmation")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clients"
    )
    email = models.EmailField(_("email"))
    full_name = models.CharField(_("full name"), max_length=255, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    # The owner's own fields ({"city": "Казань", "plan": "pro"}): extra CSV columns, the
    # API and the client page fill them; messages use them as {{ city }} placeholders.
    attributes = models.JSONField(_("fields"), default=dict, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status, default=Status.ACTIVE, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        # Moved here from mailings with its table (audience/migrations/0007).
        db_table = "mailings_client"
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


def new_list_token() -> str:
    return secrets.token_urlsafe(16)


class MailingList(models.Model):
    """A named list of clients; a client may be on several.

    `token` names the list in its public subscription form (`/subscribe/<token>/`),
    so that the form never reveals the list's id or its owner.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailing_lists"
    )
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    double_opt_in = models.BooleanField(
        _("double opt-in"),
        default=True,
        help_text=_("New subscribers confirm their address by a link before they get mail."),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="ru",
        help_text=_("The language of the subscription form and its confirmation email."),
    )
    captcha = models.BooleanField(
        _("bot check"),
        default=False,
        help_text=_(
            "The subscription form asks the visitor's browser for a short proof of work "
            "(ALTCHA) before it accepts an address."
        ),
    )
    token = models.CharField(max_length=32, unique=True, default=new_list_token, editable=False)
    members = models.ManyToManyField(
        Client, through="Membership", related_name="lists", verbose_name=_("members")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("list")
        verbose_name_plural = _("lists")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "owner",
                name="mailing_list_name_unique_per_owner",
                violation_error_message=_("You already have a list with this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("audience:list_detail", args=[self.pk])


class MembershipQuerySet(models.QuerySet):
    def subscribed(self):
        return self.filter(status=Membership.Status.SUBSCRIBED)


class Membership(models.Model):
    """A client on a list. Only `subscribed` members are a list's recipients: a
    `pending` one has not confirmed yet (double opt-in), an `unsubscribed` one left the
    list from the preference centre and is kept so that an import does not put it back
    silently."""

    class Status(models.TextChoices):
        SUBSCRIBED = "subscribed", _("Subscribed")
        PENDING = "pending", _("Waiting for confirmation")
        UNSUBSCRIBED = "unsubscribed", _("Left the list")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="memberships")
    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.CASCADE, related_name="memberships"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.SUBSCRIBED)
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("list membership")
        verbose_name_plural = _("list memberships")
        constraints = [
            models.UniqueConstraint("mailing_list", "client", name="membership_unique_per_list"),
        ]
        # A run's recipients by list: the subscribed members of each list.
        indexes = [
            models.Index(fields=["mailing_list", "status"], name="membership_list_status"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} on {self.mailing_list_id} ({self.status})"


class Tag(models.Model):
    """A free label on clients ("bought in 2026", "vip")."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_tags"
    )
    name = models.CharField(_("name"), max_length=64)
    clients = models.ManyToManyField(
        Client, related_name="tags", blank=True, verbose_name=_("clients")
    )

    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "owner",
                name="tag_name_unique_per_owner",
                violation_error_message=_("You already have a tag with this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CustomField(models.Model):
    """The name the owner gave a custom field, as typed («Город»), beside the key its
    values are kept and written under (`gorod`, the `{{ gorod }}` placeholder): a key
    is an identifier, a name is what people read. The first name a key came with
    stays; a key without a row is named by itself."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="custom_fields"
    )
    key = models.CharField(_("placeholder"), max_length=40)
    label = models.CharField(_("name"), max_length=100)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="custom_field_key_per_owner")
        ]

    def __str__(self) -> str:
        return self.label


class Segment(models.Model):
    """Clients chosen by rules over their fields, tags, lists, status, dates and
    engagement, evaluated each time a run is claimed (so a client who matches later
    gets later runs).

    `rules` is a list of conditions (`[{"field": …, "op": …, "value": …}, …]`) joined by
    `match`: all of them (AND) or any of them (OR); audience/segments.py turns them
    into a query and knows the fields and operators there are.
    """

    class Match(models.TextChoices):
        ALL = "all", _("All conditions")
        ANY = "any", _("Any condition")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="segments"
    )
    name = models.CharField(_("name"), max_length=255)
    match = models.CharField(_("match"), max_length=8, choices=Match, default=Match.ALL)
    rules = models.JSONField(_("conditions"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("audience:segment_detail", args=[self.pk])


class ConsentRecord(models.Model):
    """How a client came to be on a list: proof of consent for the owner (shown on the
    client's page and in its privacy export). One row per sign-up, kept when the client
    leaves."""

    class Source(models.TextChoices):
        FORM = "form", _("Subscription form")
        IMPORT = "import", _("CSV import")
        API = "api", _("API")
        MANUAL = "manual", _("Added by the owner")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="consents")
    mailing_list = models.ForeignKey(
        MailingList,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consents",
        verbose_name=_("list"),
    )
    source = models.CharField(_("source"), max_length=16, choices=Source)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=512, blank=True)
    created_at = models.DateTimeField(_("subscribed at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.client_id} via {self.source} at {self.created_at:%Y-%m-%d %H:%M}"


class SuppressionQuerySet(OwnedQuerySet):
    def held(self):
        return self.filter(lifted_at__isnull=True)


class Suppression(models.Model):
    """An address the owner must not mail, whatever client row holds it: a client
    deleted and added again, imported or signed up comes back with the status below.

    Keyed by `address_hash` (audience.suppressions.address_hash: an HMAC of the
    lower-cased address), so that erasing the client (audience/privacy.py) blanks
    `email` and the address stays suppressed without being kept in clear. A lifted row
    (the owner reactivated the address, or its holder confirmed a sign-up) is kept with
    who lifted it and why.
    """

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Complained")
        IMPORTED = "imported", _("Imported")

    class LiftedBy(models.TextChoices):
        OWNER = "owner", _("The owner")
        RECIPIENT = "recipient", _("The recipient")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suppressions"
    )
    address_hash = models.CharField(max_length=64, editable=False)
    # Lower-cased; blank once the client was erased.
    email = models.EmailField(_("email"), blank=True)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason)
    suppressed_at = models.DateTimeField(_("date"), default=timezone.now)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.CharField(_("lifted by"), max_length=16, choices=LiftedBy, blank=True)
    lift_reason = models.CharField(_("why it was lifted"), max_length=500, blank=True)

    objects = SuppressionQuerySet.as_manager()

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        ordering = ["-suppressed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "address_hash"],
                condition=models.Q(lifted_at__isnull=True),
                name="suppression_held_once_per_owner",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "suppressed_at"], name="suppression_owner_date"),
        ]

    def __str__(self) -> str:
        return f"{self.email or self.address_hash[:12]}: {self.reason}"

    @property
    def client_status(self) -> str:
        """The status a client with this address is given."""
        if self.reason in (self.Reason.BOUNCED, self.Reason.COMPLAINED):
            return self.reason
        return Client.Status.UNSUBSCRIBED

    @property
    def owner_may_lift(self) -> bool:
        """A recipient's own unsubscribe is theirs to undo (by confirming a sign-up); the
        owner answers for bounces, complaints and their own imports."""
        return self.reason != self.Reason.UNSUBSCRIBED

    @property
    def recipient_may_lift(self) -> bool:
        """Confirming a sign-up by email ends an unsubscribe (or an imported one), never
        a bounce or a complaint: those only the owner reactivates."""
        return self.reason in (self.Reason.UNSUBSCRIBED, self.Reason.IMPORTED)


class ClientImportQuerySet(OwnedQuerySet):
    def visible_to(self, user):
        # The uploaded file may be megabytes: no page needs it.
        return super().visible_to(user).defer("data")


class ClientImport(models.Model):
    """A CSV upload: its columns matched by the user, then imported by a worker (large
    files take longer than a request may). The file is kept in the database (at most a
    few megabytes) so that any worker on any host can read it, and emptied once the
    import is over."""

    class Status(models.TextChoices):
        # An import's own words, apart from a delivery's ("Failed" is «Не доставлено").
        MAPPING = "mapping", pgettext_lazy("import status", "Columns to match")
        QUEUED = "queued", pgettext_lazy("import status", "In the queue")
        RUNNING = "running", pgettext_lazy("import status", "Importing")
        DONE = "done", pgettext_lazy("import status", "Done")
        DONE_WITH_ERRORS = "done_with_errors", pgettext_lazy("import status", "Done, rows skipped")
        FAILED = "failed", pgettext_lazy("import status", "Not imported")

    BADGES = {
        Status.MAPPING: "text-bg-info",
        Status.QUEUED: "text-bg-secondary",
        Status.RUNNING: "text-bg-primary",
        Status.DONE: "text-bg-success",
        Status.DONE_WITH_ERRORS: "text-bg-warning",
        Status.FAILED: "text-bg-danger",
    }
    OVER = (Status.DONE, Status.DONE_WITH_ERRORS, Status.FAILED)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_imports"
    )
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    data = models.BinaryField(editable=False)
    # The language of the row errors: the uploader's, not the worker's.
    language = models.CharField(max_length=16, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status, default=Status.MAPPING, db_index=True
    )
    # How the file is read (audience.client_csv.ImportPlan): encoding, separator, header,
    # each column's target as proposed and then chosen on the mapping page.
    mapping = models.JSONField(_("columns"), default=dict, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    created_count = models.PositiveIntegerField(_("added"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    # Of the added: addresses on the suppression list, added with its status.
    suppressed_count = models.PositiveIntegerField(_("suppressed"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    # The skipped rows grouped by problem: [{"reason": "…", "count": 499, "lines": [2, 3],
    # "emails": ["…"], "missing_list": "Покупатели"}, …] (client_csv.ImportErrors).
    errors = models.JSONField(_("errors"), default=list, blank=True)
    # Lists the import created (their names), as the mapping page announced.
    lists_created = models.JSONField(_("lists created"), default=list, blank=True)
    # Why the file as a whole could not be read (encoding, no email column).
    failure = models.TextField(_("failure"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Moves with the progress: a running import whose stamp stopped lost its worker.
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClientImportQuerySet.as_manager()

    class Meta:
        # Moved here from mailings with its table (audience/migrations/0008).
        db_table = "mailings_clientimport"
        verbose_name = _("client import")
        verbose_name_plural = _("client imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("mailings:client_import_detail", args=[self.pk])

    @property
    def is_over(self) -> bool:
        return self.status in self.OVER

    @property
    def badge(self) -> str:
        return self.BADGES[self.status]
