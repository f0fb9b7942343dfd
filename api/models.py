import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "rsk"


def secret_hash(secret: str) -> str:
    """A fast hash is enough: the secret is 256 random bits, not a password to guess."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, *, now=None):
        now = now or timezone.now()
        return self.filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now),
            revoked_at__isnull=True,
            owner__is_active=True,
        )

    def matching(self, token: str) -> "ApiToken | None":
        """The usable token `rsk_<lookup>_<secret>` names, or None (any malformed text too)."""
        # The secret may hold underscores itself; the lookup (hex) never does.
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
            return None
        found = self.usable().select_related("owner").filter(lookup=parts[1]).first()
        if found is None or not hmac.compare_digest(found.secret_hash, secret_hash(parts[2])):
            return None
        return found


class ApiToken(models.Model):
    """A personal token for the API. Only a hash of its secret is kept: it is shown once."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    # The public part of the token, to find the row without scanning hashes.
    lookup = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    read_only = models.BooleanField(
        _("read only"), default=False, help_text=_("The token may read but not change anything.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({TOKEN_PREFIX}_{self.lookup}_…)"

    @classmethod
    def issue(cls, *, owner, name: str, read_only: bool = False, expires_at=None):
        """A new token and its full text, which exists only in this return value."""
        lookup, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        token = cls.objects.create(
            owner=owner,
            name=name,
            lookup=lookup,
            secret_hash=secret_hash(secret),
            read_only=read_only,
            expires_at=expires_at,
        )
        return token, f"{TOKEN_PREFIX}_{lookup}_{secret}"

    @property
    def is_usable(self) -> bool:
        expired = self.expires_at is not None and self.expires_at <= timezone.now()
        return self.revoked_at is None and not expired


class IdempotentRequest(models.Model):
    """A POST made with an `Idempotency-Key`, and the response it got, kept for a day:
    the same request again gets the same response instead of doing the work twice."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # A hash of the method, path and parsed body: the same key with another body is refused.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_per_owner")
        ]

    def __str__(self) -> str:
        return self.key
