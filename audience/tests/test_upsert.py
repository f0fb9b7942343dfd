"""The one client upsert, through both of its doors: a CSV import and the API's bulk
call treat the same rows the same way. An empty value keeps what the client has (the
import page says "empty cells keep what is there"; a custom field set to nothing was
already no field through either door)."""

import pytest
from rest_framework.test import APIClient

from api.models import ApiToken
from audience.imports import client_imports_run
from audience.models import Client
from audience.tests import importing
from mailings.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

HEADER = ["email", "full_name", "comment", "city"]


def through_csv(signed_in, rows: list[dict]) -> None:
    lines = [",".join(HEADER)]
    lines += [",".join(row.get(name) or "" for name in HEADER) for row in rows]
    data = ("\n".join(lines) + "\n").encode()
    response = importing.confirm(signed_in, importing.upload(signed_in, data, "c.csv"))
    assert response.status_code == 302
    assert client_imports_run() == 1


def through_api(owner, rows: list[dict]) -> None:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(owner=owner, name='crm')[1]}")
    clients = [
        {
            **{name: row[name] for name in ("email", "full_name", "comment") if name in row},
            **({"attributes": {"city": row["city"]}} if row.get("city") is not None else {}),
        }
        for row in rows
    ]
    response = api.post("/api/v1/clients/bulk/", {"clients": clients}, format="json")
    assert response.status_code == 200, response.content


DOORS = {"csv": through_csv, "api": lambda signed_in, rows: through_api(signed_in.owner, rows)}


@pytest.fixture
def door(request, signed_in, owner):
    signed_in.owner = owner
    return lambda rows: DOORS[request.param](signed_in, rows)


@pytest.mark.parametrize("door", DOORS, indirect=True)
@pytest.mark.parametrize("empty", ["", "   ", None])
def test_an_empty_value_keeps_what_the_client_has(door, owner, empty):
    anna = ClientFactory(
        owner=owner,
        email="anna@example.org",
        full_name="Анна",
        comment="vip",
        attributes={"city": "Казань"},
    )
    door([{"email": "ANNA@example.org", "full_name": empty, "comment": empty, "city": empty}])
    anna.refresh_from_db()
    assert (anna.full_name, anna.comment, anna.attributes) == ("Анна", "vip", {"city": "Казань"})


@pytest.mark.parametrize("door", DOORS, indirect=True)
def test_a_value_given_replaces_and_a_new_client_is_added_with_what_it_has(door, owner):
    anna = ClientFactory(owner=owner, email="anna@example.org", full_name="Анна", comment="vip")
    door(
        [
            {"email": "anna@example.org", "full_name": " Анна Иванова ", "city": "Казань"},
            {"email": "boris@example.org", "full_name": "", "comment": " new "},
        ]
    )
    anna.refresh_from_db()
    assert (anna.full_name, anna.comment, anna.attributes) == (
        "Анна Иванова",
        "vip",
        {"city": "Казань"},
    )
    boris = Client.objects.get(owner=owner, email="boris@example.org")
    assert (boris.full_name, boris.comment, boris.attributes) == ("", "new", {})
