"""The home page's figures: service-wide for visitors, one's own for users."""

import pytest

from accounts.tests.factories import UserFactory, manager
from dashboard.home import Figures, compute_figures
from mailings.models import Mailing
from mailings.tests.factories import ClientFactory, MailingFactory

pytestmark = pytest.mark.django_db

RUNNING = Mailing.Status.RUNNING


def figures_on(page: str) -> tuple[str, str, str]:
    import re

    return tuple(
        re.search(rf'id="figure-{name}">([^<]*)<', page).group(1)
        for name in ("mailings", "running", "clients")
    )


@pytest.fixture
def two_owners():
    anna, boris = UserFactory(), UserFactory()
    shared = ClientFactory(owner=anna, email="same@example.org")
    anna_clients = [shared, ClientFactory(owner=anna), ClientFactory(owner=anna)]
    MailingFactory(owner=anna, status=RUNNING, clients=anna_clients[:2])
    MailingFactory(owner=anna, clients=anna_clients)  # the same two again, plus one
    ClientFactory(owner=anna)  # in no mailing: not counted
    boris_clients = [ClientFactory(owner=boris, email="SAME@example.org")]
    for status in (RUNNING, RUNNING, Mailing.Status.COMPLETED, Mailing.Status.DISABLED):
        MailingFactory(owner=boris, status=status, clients=boris_clients)
    return anna, boris


def test_it_counts_mailings_running_and_distinct_addresses(two_owners):
    anna, boris = two_owners
    assert compute_figures(owner=anna) == Figures(mailings=2, running=1, clients=3)
    assert compute_figures(owner=boris) == Figures(mailings=4, running=2, clients=1)
    # Service-wide, same@ and SAME@ are one address.
    assert compute_figures() == Figures(mailings=6, running=3, clients=3)


def test_a_visitor_sees_service_figures_and_a_sign_up_button(client, two_owners):
    page = client.get("/").content.decode()
    assert figures_on(page) == ("6", "3", "3")
    assert 'href="/accounts/signup/"' in page
    assert 'data-scope="site"' in page


def test_a_user_sees_own_figures_and_shortcuts(client, two_owners):
    anna, _boris = two_owners
    client.force_login(anna)
    page = client.get("/").content.decode()
    assert figures_on(page) == ("2", "1", "3")
    assert 'id="shortcuts"' in page


def test_users_never_see_each_others_figures(client, two_owners):
    anna, boris = two_owners
    client.force_login(anna)
    assert figures_on(client.get("/").content.decode()) == ("2", "1", "3")
    client.force_login(boris)
    assert figures_on(client.get("/").content.decode()) == ("4", "2", "1")
    client.logout()
    assert figures_on(client.get("/").content.decode()) == ("6", "3", "3")
    client.force_login(anna)
    assert figures_on(client.get("/").content.decode()) == ("2", "1", "3")


def test_a_new_user_sees_zeros(client, two_owners):
    client.force_login(UserFactory())
    assert figures_on(client.get("/").content.decode()) == ("0", "0", "0")


def test_managers_see_the_service_figures(client, two_owners):
    client.force_login(manager())
    assert figures_on(client.get("/").content.decode()) == ("6", "3", "3")


def test_clients_reached_through_lists_segments_or_everyone_count_too():
    from audience.models import Segment
    from audience.tests.factories import MembershipFactory

    vera, gleb = UserFactory(), UserFactory()
    member = MembershipFactory(mailing_list__owner=vera, client__owner=vera)
    MembershipFactory(mailing_list=member.mailing_list, client__owner=vera, status="pending")
    MailingFactory(owner=vera).lists.add(member.mailing_list)
    ClientFactory(owner=vera, attributes={"city": "Kazan"})
    ClientFactory(owner=vera, attributes={"city": "Perm"})  # matches nothing: not counted
    rules = [{"field": "attributes.city", "op": "equals", "value": "kazan"}]
    MailingFactory(owner=vera, segment=Segment.objects.create(owner=vera, name="K", rules=rules))
    assert compute_figures(owner=vera).clients == 2  # the subscribed member and Kazan
    for _ in range(3):
        ClientFactory(owner=gleb)
    MailingFactory(owner=gleb, all_clients=True)
    assert compute_figures(owner=gleb).clients == 3
    assert compute_figures().clients == 5
