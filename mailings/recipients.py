"""Who a run of a mailing goes to, decided when the run is claimed: the clients its
targets name (audience.recipients), keeping only the owner's `active` ones.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from audience.models import Client, Membership, Segment
from audience.recipients import targeted_clients
from audience.segments import RuleError, segment_q

from .models import Mailing


def mailing_targeted(mailing: Mailing) -> QuerySet[Client]:
    return targeted_clients(
        mailing.owner,
        clients=Mailing.clients.through.objects.filter(mailing_id=mailing.pk).values("client_id"),
        lists=Mailing.lists.through.objects.filter(mailing_id=mailing.pk).values("mailinglist_id"),
        segment=mailing.segment,
        all_clients=mailing.all_clients,
    )


def recipients_of(mailing: Mailing) -> QuerySet[Client]:
    """The clients a run of `mailing` claimed now goes to. Raises segments.RuleError."""
    return mailing_targeted(mailing).receiving()


def clients_targeted_by(mailings) -> QuerySet[Client]:
    """Every client some of `mailings` names, by any target (chosen, a list, a segment,
    everyone), whatever their status: the home page's "unique clients". A segment that
    can no longer be evaluated names nobody."""
    chosen = Mailing.clients.through.objects.filter(client_id=OuterRef("pk"), mailing__in=mailings)
    listed = Membership.objects.subscribed().filter(
        client_id=OuterRef("pk"), mailing_list__mailings__in=mailings
    )
    named = (
        Q(Exists(chosen))
        | Q(Exists(listed))
        | Q(owner_id__in=mailings.filter(all_clients=True).values("owner_id"))
    )
    for segment in Segment.objects.filter(mailings__in=mailings).distinct():
        try:
            named |= Q(owner_id=segment.owner_id) & segment_q(segment)
        except RuleError:
            continue
    return Client.objects.filter(named)
