"""The client form puts one client on the owner's lists and takes it off; what the
recipient chose (left, or not confirmed yet) only the recipient changes."""

import pytest
from rest_framework.test import APIClient

from audience.models import ConsentRecord, Membership
from audience.tests.factories import MailingListFactory, MembershipFactory
from mailings.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def statuses(client) -> dict[str, str]:
    return dict(client.memberships.values_list("mailing_list__name", "status"))


def test_the_form_joins_and_leaves_lists_for_the_owner(signed_in, owner):
    news = MailingListFactory(owner=owner, name="Новости")
    sale = MailingListFactory(owner=owner, name="Акции")
    client = ClientFactory(owner=owner, email="anna@example.org")
    MembershipFactory(client=client, mailing_list=news)

    edit = signed_in.get(f"/clients/{client.pk}/edit/")
    assert [int(pk) for pk in edit.context["form"]["lists"].value()] == [news.pk]

    response = signed_in.submit(
        f"/clients/{client.pk}/edit/", {"email": client.email, "lists": [sale.pk]}
    )

    assert response.status_code == 302
    assert statuses(client) == {"Акции": Membership.Status.SUBSCRIBED}
    consent = ConsentRecord.objects.get(client=client)
    assert (consent.mailing_list, consent.source) == (sale, ConsentRecord.Source.MANUAL)


def test_a_new_client_joins_the_chosen_lists(signed_in, owner):
    news = MailingListFactory(owner=owner, name="Новости")
    response = signed_in.submit("/clients/new/", {"email": "new@example.org", "lists": [news.pk]})
    assert response.status_code == 302
    client = owner.clients.get()
    assert statuses(client) == {"Новости": Membership.Status.SUBSCRIBED}
    assert client.consents.get().source == ConsentRecord.Source.MANUAL


def test_the_recipients_own_choices_stay_as_they_are(signed_in, owner):
    client = ClientFactory(owner=owner)
    left = MembershipFactory(
        client=client,
        mailing_list__owner=owner,
        mailing_list__name="Ушла",
        status=Membership.Status.UNSUBSCRIBED,
    )
    waiting = MembershipFactory(
        client=client,
        mailing_list__owner=owner,
        mailing_list__name="Ждёт",
        status=Membership.Status.PENDING,
    )

    # Saving without them changes neither.
    assert (
        signed_in.submit(f"/clients/{client.pk}/edit/", {"email": client.email}).status_code == 302
    )
    assert statuses(client) == {"Ушла": "unsubscribed", "Ждёт": "pending"}

    # Choosing them is refused, by name.
    response = signed_in.submit(
        f"/clients/{client.pk}/edit/",
        {"email": client.email, "lists": [left.mailing_list_id, waiting.mailing_list_id]},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["lists"] == [
        "Только сам клиент может вступить в эти списки: Ждёт, Ушла."
    ]
    assert statuses(client) == {"Ушла": "unsubscribed", "Ждёт": "pending"}
    assert not ConsentRecord.objects.exists()


def test_another_users_list_is_a_form_error(signed_in, owner):
    client = ClientFactory(owner=owner)
    strangers = MailingListFactory(name="Чужой")

    response = signed_in.submit(
        f"/clients/{client.pk}/edit/", {"email": client.email, "lists": [strangers.pk]}
    )

    assert response.status_code == 200
    assert "lists" in response.context["form"].errors
    assert "Чужой" not in response.content.decode()
    assert not Membership.objects.exists()


def test_an_api_update_keeps_the_clients_lists(owner):
    membership = MembershipFactory(mailing_list__owner=owner, client__owner=owner)
    api = APIClient()
    api.force_authenticate(owner)

    response = api.patch(
        f"/api/v1/clients/{membership.client_id}/", {"full_name": "Вера"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["lists"] == [membership.mailing_list_id]
    assert Membership.objects.filter(pk=membership.pk, status="subscribed").exists()
