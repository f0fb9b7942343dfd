"""The owner's suppression list by address: an address that unsubscribed, bounced or
complained stays suppressed when its client is deleted (or erased) and the address comes
back through the client form, a CSV import, the API, its bulk call or a subscription
form; the owner's reactivation lifts it with a reason; a list exported from another
service can be imported; /suppressions/ lists the addresses."""

import importlib
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client as HttpClient

from accounts.tests.factories import manager
from api.models import ApiToken
from api.tests.conftest import bearer
from audience.imports import client_imports_run
from audience.models import Client, ClientImport, Suppression
from audience.status import Reason, client_set_status
from audience.suppressions import address_hashes, suppression_of
from audience.tests import importing
from feedback.services import feedback_record
from mailings.tests.factories import ClientFactory

from .signup import confirmation_path, list_of

pytestmark = pytest.mark.django_db

ANNA = "anna@example.org"


def left(owner, email=ANNA) -> None:
    """A client who unsubscribed, then deleted by the owner."""
    client = ClientFactory(owner=owner, email=email)
    client_set_status(client=client, to="unsubscribed", reason=Reason.UNSUBSCRIBE)
    client.delete()


def bounced(owner, email=ANNA) -> None:
    client = ClientFactory(owner=owner, email=email)
    feedback_record(client=client, kind="hard", source="dsn", status_code="5.1.1")
    client.delete()


def complained(owner, email=ANNA) -> None:
    client = ClientFactory(owner=owner, email=email)
    feedback_record(client=client, kind="complaint", source="arf")
    client.delete()


def api_of(owner):
    return bearer(ApiToken.issue(owner=owner, name="shop")[1])


# Every status change puts the address on the list.


def test_unsubscribing_bouncing_and_complaining_suppress_the_address(owner):
    for email, make in (("a@example.org", left), ("b@example.org", bounced)):
        make(owner, email)
    complained(owner, "c@example.org")
    held = dict(Suppression.objects.held().values_list("email", "reason"))
    assert held == {
        "a@example.org": "unsubscribed",
        "b@example.org": "bounced",
        "c@example.org": "complained",
    }
    assert all(len(s.address_hash) == 64 for s in Suppression.objects.all())


def test_the_latest_reason_wins_and_an_address_is_held_once(owner):
    client = ClientFactory(owner=owner, email="Anna@Example.org")
    client_set_status(client=client, to="unsubscribed", reason=Reason.UNSUBSCRIBE)
    feedback_record(client=client, kind="complaint", source="arf")
    (suppression,) = Suppression.objects.held()
    assert (suppression.email, suppression.reason) == (ANNA, "complained")


# Every way in checks it.


@pytest.mark.parametrize(
    "make, status",
    [(left, "unsubscribed"), (bounced, "bounced"), (complained, "complained")],
)
def test_the_client_form_adds_a_suppressed_address_with_its_status_and_says_so(
    signed_in, owner, make, status
):
    make(owner)
    response = signed_in.submit("/clients/new/", {"email": "ANNA@example.org", "full_name": "A"})
    assert response.status_code == 302
    client = Client.objects.get(owner=owner)
    assert client.status == status
    assert not Client.objects.receiving().exists()
    said = signed_in.get(response.url).context["messages"]
    (warning,) = [message for message in said if message.level_tag == "warning"]
    assert "ANNA@example.org" in warning.message


def test_changing_an_address_to_a_suppressed_one_suppresses_the_client(signed_in, owner):
    left(owner)
    client = ClientFactory(owner=owner, email="other@example.org")
    signed_in.submit(f"/clients/{client.pk}/edit/", {"email": ANNA, "full_name": "A"})
    client.refresh_from_db()
    assert (client.email, client.status) == (ANNA, "unsubscribed")


def test_a_plus_tag_is_another_address_and_letter_case_is_not(signed_in, owner):
    left(owner, "anna+news@example.org")
    signed_in.submit("/clients/new/", {"email": ANNA})
    signed_in.submit("/clients/new/", {"email": "ANNA+NEWS@example.org"})
    statuses = dict(Client.objects.values_list("email", "status"))
    assert statuses == {ANNA: "active", "ANNA+NEWS@example.org": "unsubscribed"}


def test_a_csv_import_adds_suppressed_addresses_with_their_status_and_counts_them(signed_in, owner):
    bounced(owner)
    upload = SimpleUploadedFile(
        "c.csv", f"email,full_name\n{ANNA},Anna\nnew@example.org,N\n".encode()
    )
    response = importing.confirm(signed_in, signed_in.submit("/clients/import/", {"file": upload}))
    client_imports_run()
    job = ClientImport.objects.get()
    assert (job.created_count, job.suppressed_count, job.error_count) == (2, 1, 0)
    assert dict(Client.objects.values_list("email", "status")) == {
        ANNA: "bounced",
        "new@example.org": "active",
    }
    page = signed_in.get(response.url).content.decode()
    assert 'id="import-suppressed"' in page


def test_the_api_creates_a_suppressed_address_with_its_status(owner):
    complained(owner)
    response = api_of(owner).post("/api/v1/clients/", {"email": ANNA}, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "complained"


def test_the_bulk_call_creates_suppressed_addresses_with_their_status_and_counts_them(owner):
    left(owner)
    rows = [{"email": ANNA.upper()}, {"email": "new@example.org"}]
    response = api_of(owner).post("/api/v1/clients/bulk/", {"clients": rows}, format="json")
    assert response.status_code == 200
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0, "suppressed": 1}
    assert Client.objects.get(email=ANNA.upper()).status == "unsubscribed"
    assert Client.objects.get(email="new@example.org").status == "active"


def test_another_owners_suppression_does_not_hold_an_address(owner):
    left(ClientFactory().owner)
    response = api_of(owner).post("/api/v1/clients/", {"email": ANNA}, format="json")
    assert response.json()["status"] == "active"


def test_an_unsubscribed_address_signing_up_again_stays_suppressed_until_it_confirms():
    mailing_list = list_of(double_opt_in=False)
    left(mailing_list.owner)

    response = HttpClient().post(f"/subscribe/{mailing_list.token}/", {"email": ANNA})

    assert 'data-outcome="received"' in response.content.decode()
    client = Client.objects.get()
    assert client.status == "unsubscribed"  # not active on a single opt-in list
    assert len(mail.outbox) == 1
    HttpClient().post(confirmation_path(mail.outbox[0].body))
    client.refresh_from_db()
    assert client.status == "active"  # their own choice, from their mailbox
    suppression = Suppression.objects.get()
    assert suppression.lifted_by == "recipient" and suppression.lifted_at is not None
    assert suppression_of(owner_id=client.owner_id, email=ANNA) is None


@pytest.mark.parametrize("make", [bounced, complained])
def test_a_bounced_or_complained_address_signing_up_is_neither_stored_nor_mailed(make):
    mailing_list = list_of(double_opt_in=False)
    make(mailing_list.owner)

    response = HttpClient().post(f"/subscribe/{mailing_list.token}/", {"email": ANNA})

    assert 'data-outcome="received"' in response.content.decode()
    assert not Client.objects.exists()
    assert mail.outbox == []


# Erasure keeps the suppression, by hash only.


def test_an_erased_client_stays_suppressed_by_its_hash_alone(signed_in, owner):
    client = ClientFactory(owner=owner, email=ANNA)
    client_set_status(client=client, to="unsubscribed", reason=Reason.UNSUBSCRIBE)
    signed_in.submit(f"/clients/{client.pk}/erase/")
    assert not Client.objects.exists()
    suppression = Suppression.objects.get()
    assert suppression.email == "" and suppression.address_hash == address_hashes(ANNA)[0]
    signed_in.get("/suppressions/")  # the message saying it was erased, naming it
    page = signed_in.get("/suppressions/")
    assert ANNA not in page.content.decode()
    assert [row.email for row in page.context["object_list"]] == [""]

    signed_in.submit("/clients/new/", {"email": ANNA})
    assert Client.objects.get().status == "unsubscribed"
    assert signed_in.get("/suppressions/", {"q": ANNA}).context["object_list"][0] == suppression


def test_a_rotated_key_still_finds_the_address(owner, settings):
    left(owner)
    settings.FIELD_ENCRYPTION_KEY = ["a new key", *settings.FIELD_ENCRYPTION_KEY]
    assert suppression_of(owner_id=owner.pk, email=ANNA) is not None


# Reactivation by the owner.


def test_reactivating_an_address_without_a_client_lets_it_be_added_again(signed_in, owner):
    bounced(owner)
    suppression = Suppression.objects.get()
    signed_in.submit(
        f"/suppressions/{suppression.pk}/reactivate/",
        {"reason": "new mailbox"},
        form_url="/suppressions/",
    )
    suppression.refresh_from_db()
    assert (suppression.lifted_by, suppression.lift_reason) == ("owner", "new mailbox")
    signed_in.submit("/clients/new/", {"email": ANNA})
    assert Client.objects.get().status == "active"


def test_reactivating_through_the_api_lifts_the_suppression_with_its_reason(owner):
    client = ClientFactory(owner=owner, email=ANNA)
    feedback_record(client=client, kind="hard", source="dsn")
    response = api_of(owner).post(
        f"/api/v1/suppressions/{client.pk}/reactivate/", {"reason": "fixed"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "active"
    assert Suppression.objects.get().lift_reason == "fixed"
    assert suppression_of(owner_id=owner.pk, email=ANNA) is None


# The page and the import of a list.


def test_the_page_lists_addresses_whose_client_was_deleted(signed_in, owner):
    left(owner, "gone@example.org")
    kept = ClientFactory(owner=owner, email="kept@example.org")
    feedback_record(client=kept, kind="hard", source="smtp", server_response="550 no such user")
    left(ClientFactory().owner, "strangers@example.org")

    page = signed_in.get("/suppressions/")

    rows = {row.email: row for row in page.context["object_list"]}
    assert set(rows) == {"gone@example.org", "kept@example.org"}
    assert rows["gone@example.org"].client_pk is None
    assert rows["kept@example.org"].client_pk == kept.pk
    text = page.content.decode()
    assert "550 no such user" in text and "strangers@example.org" not in text
    overseer = HttpClient()
    overseer.force_login(manager())
    assert "strangers@example.org" in overseer.get("/suppressions/").content.decode()


def test_pasted_addresses_are_imported_and_hold_active_clients(signed_in, owner):
    active = ClientFactory(owner=owner, email=ANNA)
    left(owner, "gone@example.org")
    pasted = f"{ANNA.upper()}\n\ngone@example.org\nnot an address\nnew@example.org\n"

    response = signed_in.submit(
        "/suppressions/import/", {"addresses": pasted}, form_url="/suppressions/"
    )

    assert response.status_code == 302
    held = dict(Suppression.objects.held().values_list("email", "reason"))
    assert held == {
        ANNA: "imported",
        "gone@example.org": "unsubscribed",
        "new@example.org": "imported",
    }
    active.refresh_from_db()
    assert active.status == "unsubscribed"
    done, skipped = signed_in.get("/suppressions/").context["messages"]
    assert done.level_tag == "success" and [int(n) for n in re.findall(r"\d+", done.message)] == [
        2,
        1,
        1,
    ]
    assert skipped.level_tag == "warning" and "4 not an address" in skipped.message
    # Imported by the owner: the owner may lift it, and the client receives again.
    suppression = Suppression.objects.held().get(email=ANNA)
    signed_in.submit(
        f"/suppressions/{suppression.pk}/reactivate/",
        {"reason": "mistake"},
        form_url="/suppressions/",
    )
    active.refresh_from_db()
    assert active.status == "active"


@pytest.mark.parametrize(
    "data",
    [
        b'"Email Address","First Name","MEMBER_RATING"\n"anna@example.org","Anna",2\n'
        b'"boris@example.org","Boris",1\n',  # Mailchimp
        b"email,name,status\nanna@example.org,Anna,blocklisted\nboris@example.org,,x\n",
        b"anna@example.org\nboris@example.org\n",
        "email;имя\r\nanna@example.org;Анна\r\nboris@example.org;Борис\r\n".encode("cp1251"),
    ],
    ids=["mailchimp", "listmonk", "one a line", "semicolons in cp1251"],
)
def test_an_exported_list_is_imported_from_a_file(signed_in, owner, data):
    upload = SimpleUploadedFile("export.csv", data)
    signed_in.submit("/suppressions/import/", {"file": upload}, form_url="/suppressions/")
    assert set(Suppression.objects.values_list("email", flat=True)) == {
        ANNA,
        "boris@example.org",
    }


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"addresses": "no addresses here"},
        {"file": SimpleUploadedFile("x.bin", bytes(range(256)))},
    ],
)
def test_an_import_without_an_address_says_why(signed_in, data):
    response = signed_in.submit("/suppressions/import/", data, form_url="/suppressions/")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Suppression.objects.exists()


def test_a_manager_cannot_import(csrf_client):
    csrf_client.force_login(manager())
    response = csrf_client.submit(
        "/suppressions/import/", {"addresses": ANNA}, form_url="/suppressions/"
    )
    assert response.status_code == 403


# Existing clients seed the list.


def test_the_migration_seeds_the_list_from_suppressed_clients(owner):
    seed = importlib.import_module("audience.migrations.0006_suppression_seed").seed
    ClientFactory(owner=owner, email="Left@example.org", status="unsubscribed")
    ClientFactory(owner=owner, email="gone@example.org", status="bounced")
    ClientFactory(owner=owner, email="fine@example.org")
    # The models as that migration knows them (Client was still in mailings then).
    then = MigrationLoader(connection).project_state(("audience", "0006_suppression_seed"))
    seed(then.apps, None)
    assert dict(Suppression.objects.values_list("email", "reason")) == {
        "left@example.org": "unsubscribed",
        "gone@example.org": "bounced",
    }
    assert suppression_of(owner_id=owner.pk, email="LEFT@example.org") is not None


@pytest.mark.parametrize("status", [Client.Status.BOUNCED, Client.Status.COMPLAINED])
def test_a_recipient_never_lifts_a_bounce_or_a_complaint(status):
    """Found in review: confirming a sign-up lifted whatever was held."""
    from audience.suppressions import suppression_lift, suppression_record

    client = ClientFactory(status=status)
    suppression_record(client=client, status=status)
    client_set_status(
        client=client, to="unsubscribed", reason=Reason.UNSUBSCRIBE
    )  # the later unsubscribe does not soften it
    assert not suppression_lift(
        owner_id=client.owner_id, email=client.email, by=Suppression.LiftedBy.RECIPIENT
    )
    held = suppression_of(owner_id=client.owner_id, email=client.email)
    assert held.reason == status
    assert suppression_lift(
        owner_id=client.owner_id, email=client.email, by=Suppression.LiftedBy.OWNER, reason="ok"
    )
