import zoneinfo

from django.contrib.auth.models import AbstractUser, Group, UserManager
from django.db import models
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class EmailUserManager(UserManager):
    """Users are identified by email alone; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class Tracking(models.TextChoices):
    """How much of a mailing's engagement (opens, clicks) is recorded."""

    OFF = "off", _("Off: links left as they are, no open pixel")
    AGGREGATE = "aggregate", _("Counts only: no record of who opened or clicked")
    RECIPIENT = "recipient", _("Per recipient: who opened and clicked what")


class User(AbstractUser):
    username = None
    email = models.EmailField(_("email address"), unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Moscow"
    )
    tracking = models.CharField(
        _("engagement tracking"),
        max_length=16,
        choices=Tracking,
        default=Tracking.AGGREGATE,
        help_text=_("For your mailings that do not choose for themselves."),
    )

    # Shown to the blocked user at sign-in, so a block is never a dead end.
    blocked_reason = models.CharField(_("reason for blocking"), max_length=500, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = EmailUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        permissions = [("block_user", _("Can block and unblock users"))]
        constraints = [
            # Addresses are stored lower-cased, but a row written around the manager
            # (the admin, a shell, a bulk import) must not make a second account for
            # the same mailbox either.
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ignoring_case",
                violation_error_message=_("A user with this email already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email

    def holds_manager_role(self) -> bool:
        """Whether the user is a manager, blocked or not (has_perm says no to the blocked)."""
        return (
            User.objects.alias(is_manager_role=manager_role())
            .filter(pk=self.pk, is_manager_role=True)
            .exists()
        )


def manager_role():
    """True for a user who may block users, through a group or a permission of their own."""
    permission = {
        "permission__codename": "block_user",
        "permission__content_type__app_label": "accounts",
    }
    through_group = Group.permissions.through.objects.filter(
        group__user=OuterRef("pk"), **permission
    )
    of_their_own = User.user_permissions.through.objects.filter(user=OuterRef("pk"), **permission)
    return Exists(through_group) | Exists(of_their_own)
