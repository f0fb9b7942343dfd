import pytest
from django.db import IntegrityError

from accounts.tests.factories import UserFactory
from audience.client_forms import ClientForm
from audience.models import Client
from mailings.tests.factories import ClientFactory, DeliveryFactory, MailingFactory
from sending.models import Delivery

pytestmark = pytest.mark.django_db


def test_it_lists_only_the_owners_clients(signed_in, owner):
    ClientFactory(owner=owner, email="mine@example.org")
    ClientFactory(email="theirs@example.org")
    response = signed_in.get("/clients/")
    assert response.status_code == 200
    assert [c.email for c in response.context["object_list"]] == ["mine@example.org"]
    assert "theirs@example.org" not in response.content.decode()


def test_it_creates_a_client_and_says_so(signed_in, owner):
    response = signed_in.submit(
        "/clients/new/",
        {"email": "Olga@Example.org", "full_name": "Ольга Смирнова", "comment": "VIP"},
        follow=True,
    )
    client = Client.objects.get()
    assert (client.owner, client.email, client.full_name) == (
        owner,
        "Olga@Example.org",
        "Ольга Смирнова",
    )
    assert response.redirect_chain[-1][0] == f"/clients/{client.pk}/"
    assert "Olga@Example.org" in [str(m) for m in response.context["messages"]][0]


def test_it_shows_an_invalid_email_beside_the_field(signed_in):
    response = signed_in.submit("/clients/new/", {"email": "not-an-address", "full_name": "X"})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["email"]
    assert 'id="id_email_error"' in response.content.decode()
    assert not Client.objects.exists()


def test_it_refuses_the_same_email_in_another_case(signed_in, owner):
    ClientFactory(owner=owner, email="anna@example.org")
    response = signed_in.submit("/clients/new/", {"email": "ANNA@Example.ORG"})
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert Client.objects.count() == 1


def test_two_owners_may_each_have_the_same_address():
    first, second = UserFactory(), UserFactory()
    for owner in (first, second):
        form = ClientForm(
            {"email": "shared@example.org"}, owner=owner, instance=Client(owner=owner)
        )
        assert form.is_valid(), form.errors
        form.save()
    assert Client.objects.filter(email="shared@example.org").count() == 2


def test_the_database_refuses_a_duplicate_in_another_case(owner):
    ClientFactory(owner=owner, email="boris@example.org")
    with pytest.raises(IntegrityError):
        Client.objects.create(owner=owner, email="Boris@EXAMPLE.org")


def test_it_turns_a_lost_race_into_a_field_error(signed_in, owner, monkeypatch):
    # Another request inserted the address after this form was validated.
    ClientFactory(owner=owner, email="race@example.org")
    monkeypatch.setattr(ClientForm, "clean_email", lambda form: form.cleaned_data["email"])
    response = signed_in.submit("/clients/new/", {"email": "race@example.org"})
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert Client.objects.count() == 1


def test_it_edits_the_owners_client(signed_in, owner):
    client = ClientFactory(owner=owner, email="old@example.org")
    response = signed_in.submit(
        f"/clients/{client.pk}/edit/", {"email": "new@example.org", "full_name": "Новое Имя"}
    )
    assert response.status_code == 302
    client.refresh_from_db()
    assert (client.email, client.full_name) == ("new@example.org", "Новое Имя")


def test_saving_a_client_unchanged_is_not_a_duplicate(signed_in, owner):
    client = ClientFactory(owner=owner, email="same@example.org")
    response = signed_in.submit(f"/clients/{client.pk}/edit/", {"email": "SAME@example.org"})
    assert response.status_code == 302


def test_another_users_client_cannot_be_seen_or_changed(signed_in):
    stranger = ClientFactory(email="stranger@example.org", full_name="Чужой")
    assert signed_in.get(f"/clients/{stranger.pk}/").status_code == 404
    response = signed_in.submit(
        f"/clients/{stranger.pk}/edit/",
        {"email": "hijacked@example.org"},
        form_url="/clients/new/",
    )
    assert response.status_code == 404
    response = signed_in.submit(f"/clients/{stranger.pk}/delete/", form_url="/clients/new/")
    assert response.status_code == 404
    stranger.refresh_from_db()
    assert stranger.email == "stranger@example.org"


def test_delete_asks_first_and_keeps_what_was_sent(signed_in, owner):
    client = ClientFactory(owner=owner, email="gone@example.org", full_name="Ушедший")
    mailing = MailingFactory(owner=owner, clients=[client])
    delivery = DeliveryFactory(attempt__mailing=mailing, client=client)

    page = signed_in.get(f"/clients/{client.pk}/delete/")
    assert page.status_code == 200
    assert Client.objects.filter(pk=client.pk).exists()

    response = signed_in.submit(f"/clients/{client.pk}/delete/")
    assert response.status_code == 302
    assert not Client.objects.filter(pk=client.pk).exists()
    assert mailing.clients.count() == 0
    delivery = Delivery.objects.get(pk=delivery.pk)
    assert (delivery.client, delivery.email, delivery.full_name) == (
        None,
        "gone@example.org",
        "Ушедший",
    )


def test_search_finds_names_in_any_letter_case_and_emails(signed_in, owner):
    ClientFactory(owner=owner, email="ivanova@example.org", full_name="Анна Иванова")
    ClientFactory(owner=owner, email="petrov@example.org", full_name="Пётр Петров")
    found = signed_in.get("/clients/", {"q": "иванова"}).context["object_list"]
    assert [c.email for c in found] == ["ivanova@example.org"]
    found = signed_in.get("/clients/", {"q": "PETROV@"}).context["object_list"]
    assert [c.email for c in found] == ["petrov@example.org"]
    # Every word must match somewhere.
    assert not signed_in.get("/clients/", {"q": "анна петров"}).context["object_list"]


def test_it_sorts_by_a_column_both_ways(signed_in, owner):
    for name in ["Борис", "Анна", "Вера"]:
        ClientFactory(owner=owner, full_name=name)
    names = [c.full_name for c in signed_in.get("/clients/?sort=name").context["object_list"]]
    assert names == ["Анна", "Борис", "Вера"]
    names = [c.full_name for c in signed_in.get("/clients/?sort=-name").context["object_list"]]
    assert names == ["Вера", "Борис", "Анна"]
    # An unknown sort key falls back to the default instead of failing.
    assert signed_in.get("/clients/?sort=password").status_code == 200


def test_it_paginates_by_25(signed_in, owner):
    ClientFactory.create_batch(30, owner=owner)
    first = signed_in.get("/clients/")
    second = signed_in.get("/clients/?page=2")
    assert len(first.context["object_list"]) == 25
    assert len(second.context["object_list"]) == 5
    assert not {c.pk for c in first.context["object_list"]} & {
        c.pk for c in second.context["object_list"]
    }
