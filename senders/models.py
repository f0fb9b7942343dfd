from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workspace.querysets import OwnedQuerySet

from . import keys


def selector_new() -> str:
    """Dated, so that a rotated key gets a new name and the old record can stay a while."""
    return f"rs{timezone.now():%Y%m}"


def email_domain(address: str) -> str:
    """The domain part of an address, lower-case, IDN as punycode (how domains are kept)."""
    domain = address.rpartition("@")[2].strip().rstrip(".").lower()
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


class DomainQuerySet(OwnedQuerySet):
    def verified(self):
        return self.filter(verified_at__isnull=False)


class Domain(models.Model):
    """A domain a user sends from: its DKIM key and what the last DNS check found."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sender_domains"
    )
    # ASCII (an IDN is kept as punycode): what DNS and DKIM's d= use.
    domain = models.CharField(_("domain"), max_length=253)
    selector = models.CharField(_("DKIM selector"), max_length=63, default=selector_new)
    private_key_encrypted = models.TextField(editable=False)
    public_key = models.TextField(editable=False)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    # One entry per record: {"kind", "name", "expected", "state", "found"}.
    check_results = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = DomainQuerySet.as_manager()

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "domain"],
                name="domain_unique_per_owner",
                violation_error_message=_("You have already added this domain."),
            ),
            # Anyone may add a domain, but only one account can prove it is theirs.
            models.UniqueConstraint(
                fields=["domain"],
                condition=Q(verified_at__isnull=False),
                name="domain_verified_once",
                violation_error_message=_("This domain is verified by another account."),
            ),
        ]

    def __str__(self) -> str:
        return self.unicode_domain

    def get_absolute_url(self) -> str:
        return reverse("senders:domain_detail", args=[self.pk])

    @property
    def unicode_domain(self) -> str:
        try:
            return self.domain.encode("ascii").decode("idna")
        except UnicodeError:
            return self.domain

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    def set_new_key(self) -> None:
        key = keys.rsa_key_generate()
        self.private_key_encrypted = keys.encrypt(keys.private_key_pem(key))
        self.public_key = keys.public_key_base64(key)

    def private_key(self):
        """The DKIM signing key; raises keys.KeyUnusable when it cannot be decrypted."""
        return keys.private_key_load(keys.decrypt(self.private_key_encrypted))


class SenderQuerySet(OwnedQuerySet):
    def usable_by(self, owner):
        """The owner's senders that may appear in From: an address on a domain the owner
        verified, or one that followed its confirmation link, unless another account
        has verified that domain (then only its owner may send from it)."""
        verified = Domain.objects.verified()
        own = verified.filter(owner=owner).values("domain")
        foreign = verified.exclude(owner=owner).values("domain")
        return self.owned_by(owner).filter(
            Q(email_domain__in=own) | (Q(confirmed_at__isnull=False) & ~Q(email_domain__in=foreign))
        )


class Sender(models.Model):
    """A name and address a user's mailings go out from."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="senders"
    )
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("email"))
    reply_to = models.EmailField(_("reply-to"), blank=True)
    postal_address = models.TextField(
        _("postal address"),
        blank=True,
        help_text=_("Shown in the footer of every email, as anti-spam laws ask."),
    )
    is_default = models.BooleanField(_("default sender"), default=False)
    # When the address followed its confirmation link; cleared when the address changes.
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    email_domain = models.CharField(max_length=253, editable=False, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = SenderQuerySet.as_manager()

    class Meta:
        verbose_name = _("sender")
        verbose_name_plural = _("senders")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "owner",
                name="sender_email_unique_per_owner",
                violation_error_message=_("You already have a sender with this address."),
            ),
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(is_default=True),
                name="sender_one_default_per_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def save(self, *args, **kwargs):
        self.email_domain = email_domain(self.email)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("senders:sender_detail", args=[self.pk])

    @property
    def is_usable(self) -> bool:
        return Sender.objects.usable_by(self.owner_id).filter(pk=self.pk).exists()

    def signing_domain(self) -> Domain | None:
        """The owner's verified domain of this address, whose key signs its mail."""
        return (
            Domain.objects.verified()
            .filter(owner_id=self.owner_id, domain=self.email_domain)
            .first()
        )


ACCENT_DEFAULT = "#0d6efd"


class Brand(models.Model):
    """How a user's emails look: a logo, an accent colour and a footer line, around every
    message (the postal address comes from the mailing's sender)."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="brand"
    )
    logo_url = models.URLField(
        _("logo"),
        max_length=500,
        blank=True,
        help_text=_("The https:// address of your logo image; shown at most 200 px wide."),
    )
    accent_color = models.CharField(
        _("accent colour"),
        max_length=7,
        default=ACCENT_DEFAULT,
        validators=[
            RegexValidator(r"^#[0-9a-fA-F]{6}\Z", _("A colour as #RRGGBB, for example #0d6efd."))
        ],
        help_text=_("Links, buttons and the line above each email."),
    )
    footer_text = models.TextField(
        _("footer text"),
        max_length=1000,
        blank=True,
        help_text=_("A line or two under every email, such as who you are."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")

    def __str__(self) -> str:
        return str(self.owner)


class Relay(models.Model):
    """A user's own SMTP server (SPEC §6 "bring your own relay"): their mailings go out
    through it instead of the platform's, at its own rate, over its own connections.
    The URL holds a password: it is kept encrypted (FIELD_ENCRYPTION_KEY) and never shown
    again; `summary` is what may be shown of it."""

    class Hold(models.TextChoices):
        KEY = "key", _("The relay's settings cannot be decrypted")
        AUTH = "auth", _("The relay refused our login")
        CONFIG = "config", _("The relay's address cannot be used")
        CONNECTION = "connection", _("The relay is not answering")

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="relay"
    )
    url_encrypted = models.TextField(editable=False)
    summary = models.CharField(max_length=600, editable=False)
    rate = models.FloatField(
        _("rate"),
        default=10.0,
        validators=[MinValueValidator(0.1), MaxValueValidator(10_000)],
        help_text=_("Messages a second at most, all workers together: your provider's limit."),
    )
    connections = models.PositiveSmallIntegerField(
        _("connections"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("How many connections each worker keeps open to the relay."),
    )
    # Why the owner's runs wait, until when (the relay is tried again then).
    hold_reason = models.CharField(max_length=16, choices=Hold, blank=True)
    hold_reply = models.TextField(blank=True)
    held_until = models.DateTimeField(null=True, blank=True)
    hold_openings = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("relay")
        verbose_name_plural = _("relays")

    def __str__(self) -> str:
        return self.summary

    def get_absolute_url(self) -> str:
        return reverse("senders:relay")

    def set_url(self, url: str, summary: str) -> None:
        self.url_encrypted = keys.encrypt(url.encode())
        self.summary = summary

    def url(self) -> str:
        """The SMTP URL; raises keys.KeyUnusable when it cannot be decrypted."""
        return keys.decrypt(self.url_encrypted).decode()

    def is_held(self, now=None) -> bool:
        return self.held_until is not None and self.held_until > (now or timezone.now())

    @property
    def needs_owner(self) -> bool:
        """Held for something only its owner can fix (not a relay that is down)."""
        return self.hold_reason in (self.Hold.KEY, self.Hold.AUTH, self.Hold.CONFIG)
