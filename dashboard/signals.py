"""Keep the cached home figures in step with the mailings and clients behind them."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from audience.models import Client
from mailings.models import Mailing

# Fields the figures are made of; a save that touches none of them changes no figure.
MAILING_FIELDS = {"status", "owner", "owner_id"}
CLIENT_FIELDS = {"email", "owner", "owner_id"}


def figures_changed(*, owner_id: int | None) -> None:
    # The home page's module (its queries, the blog's cards) loads at the first change,
    # not with the receivers at every start: a cron pass changes no figure.
    from . import home

    home.figures_changed(owner_id=owner_id)


def _touches(update_fields, fields: set[str]) -> bool:
    return update_fields is None or bool(fields & set(update_fields))


@receiver(post_save, sender=Mailing)
def mailing_saved(sender, instance: Mailing, created: bool, update_fields, **kwargs) -> None:
    if created:
        from .onboarding import onboarding_finished

        onboarding_finished(instance.owner_id)  # the first-week guide is done
    if created or _touches(update_fields, MAILING_FIELDS):
        figures_changed(owner_id=instance.owner_id)


@receiver(post_save, sender=Client)
def client_saved(sender, instance: Client, created: bool, update_fields, **kwargs) -> None:
    # A new client is in no mailing yet: it counts once added to one (m2m_changed).
    if not created and _touches(update_fields, CLIENT_FIELDS):
        figures_changed(owner_id=instance.owner_id)


@receiver(post_delete, sender=Mailing)
@receiver(post_delete, sender=Client)
def owned_deleted(sender, instance, origin=None, **kwargs) -> None:
    # An account's deletion cascades to every row it owns: one drop for the account
    # (below), not one per row (20,000 clients took over 30 s in cache writes alone).
    user_model = get_user_model()
    if isinstance(origin, user_model) or getattr(origin, "model", None) is user_model:
        return
    figures_changed(owner_id=instance.owner_id)


@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
def owner_deleted(sender, instance, **kwargs) -> None:
    figures_changed(owner_id=instance.pk)


@receiver(m2m_changed, sender=Mailing.clients.through)
def mailing_clients_changed(sender, instance, action: str, **kwargs) -> None:
    # instance is a Mailing (mailing.clients.add) or a Client (client.mailings.add).
    if action in ("post_add", "post_remove", "post_clear"):
        figures_changed(owner_id=instance.owner_id)
