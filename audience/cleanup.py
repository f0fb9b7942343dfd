"""Sign-ups nobody confirmed are not kept for ever: after SUBSCRIBE_PENDING_DAYS the
address's holder is taken not to want the list (or never typed the address).

Run from the scheduler's beat once an hour (audience/receivers.py) and by `manage.py
purge_unconfirmed`; each run is a fixed number of statements however many rows it touches.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .models import Client, ConsentRecord, Membership, Tag

# A form's sign-up still waiting for its link: the one consent that proves nothing.
UNANSWERED = Q(source=ConsentRecord.Source.FORM, confirmed_at__isnull=True)


@dataclass(frozen=True)
class PurgeResult:
    clients_deleted: int
    memberships_dropped: int
    memberships_left: int


def _history_of_client() -> Q:
    """Anything the client has beyond a waiting sign-up: such a client is kept. What the
    rooms above keep of it (deliveries, bounces and complaints, mailings naming it) is
    read through the client's own relations."""
    client = OuterRef("pk")
    itself = Client.objects.filter(pk=client)
    return (
        Q(Exists(itself.filter(deliveries__isnull=False)))
        | Q(Exists(itself.filter(feedback_events__isnull=False)))
        | Q(Exists(itself.filter(mailings__isnull=False)))
        | Q(Exists(Tag.clients.through.objects.filter(client=client)))
        | Q(Exists(ConsentRecord.objects.filter(client=client).exclude(UNANSWERED)))
        | Q(
            Exists(
                Membership.objects.filter(client=client).exclude(status=Membership.Status.PENDING)
            )
        )
    )


@transaction.atomic
def unconfirmed_purge(*, now: datetime | None = None) -> PurgeResult:
    """Delete waiting clients whose only consents are unanswered form sign-ups made
    before the cut-off, then end every other membership still waiting since then.

    A waiting membership that never was more than the unanswered request is deleted; one
    that was on the list before (a rejoin from the preference centre) goes back to
    `unsubscribed`, so that an import or a bulk add does not put it back."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SUBSCRIBE_PENDING_DAYS)
    client = OuterRef("pk")
    abandoned = (
        Client.objects.filter(status=Client.Status.PENDING)
        .filter(Exists(ConsentRecord.objects.filter(client=client)))
        .exclude(Exists(ConsentRecord.objects.filter(client=client, created_at__gte=cutoff)))
        .exclude(_history_of_client())
    )
    clients_deleted = abandoned.delete()[1].get(Client._meta.label, 0)

    pair = {"client": OuterRef("client_id"), "mailing_list": OuterRef("mailing_list_id")}
    stale = (
        Membership.objects.filter(status=Membership.Status.PENDING)
        .exclude(Exists(ConsentRecord.objects.filter(**pair, created_at__gte=cutoff)))
        .exclude(created_at__gte=cutoff)
    )
    was_on_list = Exists(ConsentRecord.objects.filter(**pair).exclude(UNANSWERED))
    memberships_left = stale.filter(was_on_list).update(
        status=Membership.Status.UNSUBSCRIBED, left_at=now
    )
    memberships_dropped, _ = stale.exclude(was_on_list).delete()
    return PurgeResult(
        clients_deleted=clients_deleted,
        memberships_dropped=memberships_dropped,
        memberships_left=memberships_left,
    )
