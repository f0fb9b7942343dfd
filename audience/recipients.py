"""Who a run of a mailing goes to, decided when the run is claimed.

The union of the clients chosen one by one, the subscribed members of its lists and the
matches of its segment — or all the owner's clients — keeping only the owner's `active`
ones. Every part is a subquery in one WHERE clause over the clients table, so each client
comes out once however many parts name it, and the engine can copy the rows with one
INSERT … SELECT without any recipient passing through Python.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Client, MailingList, Membership, Segment
from .segments import RuleError, segment_q


def targeted_clients(
    owner, *, clients, lists, segment: Segment | None, all_clients: bool
) -> QuerySet[Client]:
    """The owner's clients these targets name, whatever their status: `clients` and
    `lists` are ids, as lists or as one-column querysets (a saved mailing's stay
    subqueries). Raises segments.RuleError when the segment cannot be evaluated."""
    owned = Client.objects.owned_by(owner)
    if all_clients:
        return owned
    wanted = Q(pk__in=clients) | Q(
        pk__in=Membership.objects.subscribed().filter(mailing_list_id__in=lists).values("client_id")
    )
    if segment is not None:
        wanted |= segment_q(segment)
    return owned.filter(wanted)


# A mailing's targets are read through the relations it has here (Client.mailings,
# MailingList.mailings): the audience room does not import mailings.
def mailing_targeted(mailing) -> QuerySet[Client]:
    """The clients a saved mailing names, whatever their status."""
    chosen = Client.mailings.through.objects.filter(mailing_id=mailing.pk)
    listed = MailingList.mailings.through.objects.filter(mailing_id=mailing.pk)
    return targeted_clients(
        mailing.owner,
        clients=chosen.values("client_id"),
        lists=listed.values("mailinglist_id"),
        segment=mailing.segment,
        all_clients=mailing.all_clients,
    )


def recipients_of(mailing) -> QuerySet[Client]:
    """The clients a run of `mailing` claimed now goes to. Raises segments.RuleError."""
    return mailing_targeted(mailing).receiving()


def clients_targeted_by(mailings) -> QuerySet[Client]:
    """Every client some of `mailings` names, by any target (chosen, a list, a segment,
    everyone), whatever their status: the home page's "unique clients". A segment that
    can no longer be evaluated names nobody."""
    chosen = Client.mailings.through.objects.filter(client_id=OuterRef("pk"), mailing__in=mailings)
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
