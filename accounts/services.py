"""Writes on users that managers may perform."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import User


@transaction.atomic
def user_block(*, actor: User, user: User) -> None:
    """Block a user: they cannot log in, their open sessions end and their mailings pause
    (the dispatcher only runs mailings of active owners)."""
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot block yourself."))
    if user.is_superuser:
        raise ValidationError(_("A superuser cannot be blocked here."))
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])


@transaction.atomic
def user_unblock(*, user: User) -> None:
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
