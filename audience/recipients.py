"""The clients a choice of targets names: the union of the clients chosen one by one,
the subscribed members of the lists and the matches of the segment, or all the owner's
clients. Every part is a subquery in one WHERE clause over the clients table, so each
client comes out once however many parts name it (mailings.recipients builds a run's
recipients on it, for one INSERT … SELECT without any recipient passing through Python).
"""

from django.db.models import Q, QuerySet

from .models import Client, Membership, Segment
from .segments import segment_q


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
