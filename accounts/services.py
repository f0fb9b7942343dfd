"""Writes on users: what managers may do to them, and deleting one's own account."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import User


def _check_may_manage(*, actor: User, user: User) -> None:
    # Managers oversee users, not each other: only a superuser blocks or unblocks one.
    if user.holds_manager_role() and not actor.is_superuser:
        raise PermissionDenied(_("Only an administrator can block or unblock a manager."))


@transaction.atomic
def user_block(*, actor: User, user: User, reason: str = "") -> None:
    """Block a user: they cannot log in, their open sessions end and their mailings pause
    (the dispatcher only runs mailings of active owners). The reason is shown to them."""
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot block yourself."))
    if user.is_superuser:
        raise ValidationError(_("A superuser cannot be blocked here."))
    _check_may_manage(actor=actor, user=user)
    user.is_active = False
    user.blocked_reason = reason.strip()
    user.save(update_fields=["is_active", "blocked_reason"])


@transaction.atomic
def user_unblock(*, actor: User, user: User) -> None:
    _check_may_manage(actor=actor, user=user)
    if not user.is_active:
        user.is_active = True
        user.blocked_reason = ""
        user.save(update_fields=["is_active", "blocked_reason"])


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete the account with everything it owns, all or nothing.

    Mailings go first: a mailing PROTECTs its message, so the cascade from the user alone
    would stop at the first mailing (ProtectedError). Their runs and deliveries cascade
    from them; clients, messages and email addresses then go with the user;
    blog posts stay, without an author.
    """
    user.mailings.all().delete()
    user.delete()
