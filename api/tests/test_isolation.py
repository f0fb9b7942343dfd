"""Every endpoint × every kind of caller: the web's isolation and role rules, exactly."""

import datetime as dt

import pytest
from django.utils import timezone

from api.models import ApiToken
from api.tests.conftest import bearer, world_build
from audience.models import Client, MailingList, Membership, Segment, Tag
from conftest import fresh
from content.models import Message
from mailings.models import Mailing

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def module_world(module_transaction):
    """Made once for the module's cases (each rolls back what it writes)."""
    return world_build()


@pytest.fixture
def world(module_world, db):
    return fresh(module_world)


CLIENT = {"email": "new@example.org", "full_name": "Анна"}
MESSAGE = {"subject": "Hi", "body": "Hello, {{ full_name }}"}
LIST = {"name": "Покупатели", "double_opt_in": False}
SEGMENT = {"name": "Казань", "rules": [{"field": "email", "op": "contains", "value": "example"}]}


def mailing_body(world, prefix=""):
    return {
        "message": world[f"{prefix}message"],
        "clients": [world[f"{prefix}client"]],
        "start_at": "2031-06-01T09:00:00Z",
        "end_at": "2031-07-01T09:00:00Z",
        "periodicity": "daily",
    }


# (method, path, body, answer for the owner); the others follow from the rules.
ENDPOINTS = [
    ("get", "/api/v1/clients/", None, 200),
    ("post", "/api/v1/clients/", CLIENT, 201),
    ("post", "/api/v1/clients/bulk/", {"clients": [CLIENT]}, 200),
    ("get", "/api/v1/clients/{client}/", None, 200),
    ("patch", "/api/v1/clients/{client}/", {"full_name": "Б"}, 200),
    ("put", "/api/v1/clients/{client}/", CLIENT, 200),
    ("delete", "/api/v1/clients/{client}/", None, 204),
    ("get", "/api/v1/clients/?list={list}&tag={tag}", None, 200),
    ("get", "/api/v1/lists/", None, 200),
    ("post", "/api/v1/lists/", LIST, 201),
    ("get", "/api/v1/lists/{list}/", None, 200),
    ("patch", "/api/v1/lists/{list}/", {"description": "Раз в неделю"}, 200),
    ("put", "/api/v1/lists/{list}/", LIST, 200),
    ("delete", "/api/v1/lists/{list}/", None, 204),
    ("post", "/api/v1/lists/{list}/members/", "members", 200),
    ("post", "/api/v1/lists/{list}/members/remove/", "members", 200),
    ("get", "/api/v1/tags/", None, 200),
    ("post", "/api/v1/tags/", {"name": "Новая"}, 201),
    ("get", "/api/v1/tags/{tag}/", None, 200),
    ("delete", "/api/v1/tags/{tag}/", None, 204),
    ("get", "/api/v1/segments/", None, 200),
    ("post", "/api/v1/segments/", SEGMENT, 201),
    ("get", "/api/v1/segments/{segment}/", None, 200),
    ("patch", "/api/v1/segments/{segment}/", {"match": "any"}, 200),
    ("put", "/api/v1/segments/{segment}/", SEGMENT, 200),
    ("delete", "/api/v1/segments/{segment}/", None, 204),
    ("get", "/api/v1/messages/", None, 200),
    ("post", "/api/v1/messages/", MESSAGE, 201),
    ("get", "/api/v1/messages/{message}/", None, 200),
    ("patch", "/api/v1/messages/{message}/", {"subject": "New"}, 200),
    ("put", "/api/v1/messages/{message}/", MESSAGE, 200),
    ("delete", "/api/v1/messages/{message}/", None, 409),  # used by a mailing
    ("post", "/api/v1/messages/{message}/duplicate/", None, 201),
    ("get", "/api/v1/mailings/", None, 200),
    ("post", "/api/v1/mailings/", "mailing", 201),
    ("get", "/api/v1/mailings/{mailing}/", None, 200),
    ("patch", "/api/v1/mailings/{mailing}/", {"periodicity": "weekly"}, 200),
    ("put", "/api/v1/mailings/{mailing}/", "mailing", 200),
    ("delete", "/api/v1/mailings/{mailing}/", None, 204),
    ("post", "/api/v1/mailings/{mailing}/send/", None, 202),
    ("post", "/api/v1/mailings/{mailing}/disable/", None, 200),
    ("post", "/api/v1/mailings/{mailing}/duplicate/", None, 201),
    ("get", "/api/v1/attempts/", None, 200),
    ("get", "/api/v1/attempts/{attempt}/", None, 200),
    ("get", "/api/v1/attempts/{attempt}/deliveries/", None, 200),
    ("get", "/api/v1/reports/totals/", None, 200),
    ("get", "/api/v1/suppressions/", None, 200),
    ("get", "/api/v1/suppressions/{suppression}/", None, 200),
    ("post", "/api/v1/suppressions/{suppression}/reactivate/", None, 200),
]


def tables() -> tuple[int, ...]:
    models = (Client, Message, Mailing, MailingList, Membership, Tag, Segment)
    return tuple(model.objects.count() for model in models)


CALLERS = ["owner", "other user", "manager", "read-only", "anonymous", "revoked", "expired"]


def expected(caller: str, method: str, path: str, owner_answer: int) -> int:
    if caller in ("anonymous", "revoked", "expired"):
        return 401
    writes = method != "get"
    if caller in ("manager", "read-only") and writes:
        return 403
    if caller == "other user" and "{" in path.split("?")[0]:
        return 404
    if caller == "other user" and writes:
        return owner_answer  # their own collection: allowed (with their own ids)
    return 200 if not writes else owner_answer


# The edit-test loop (`make test-fast`) calls every endpoint as its owner and as another
# user; the other callers' cases are `slow`, for `make test`.
@pytest.mark.parametrize(
    "caller",
    [
        pytest.param(caller, marks=[] if caller in ("owner", "other user") else pytest.mark.slow)
        for caller in CALLERS
    ],
)
@pytest.mark.parametrize(
    "method, path, body, owner_answer", ENDPOINTS, ids=[f"{m} {p}" for m, p, *_ in ENDPOINTS]
)
def test_each_caller_gets_what_the_rules_say(world, caller, method, path, body, owner_answer):
    tokens = dict(world["tokens"])
    owner = world["owner"]
    revoked, tokens["revoked"] = ApiToken.issue(owner=owner, name="old")
    revoked.revoked_at = timezone.now()
    revoked.save()
    expired, tokens["expired"] = ApiToken.issue(
        owner=owner, name="temp", expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    prefix = "stranger_" if caller == "other user" and "{" not in path else ""
    if body == "mailing":
        body = mailing_body(world, prefix)
    if body == "members":
        body = {"clients": [world["client"]]}
    if isinstance(body, dict) and caller == "other user" and prefix:
        body = {**body, "email": "theirs@example.org"} if "email" in body else body
    counts = tables()

    response = getattr(bearer(tokens[caller]), method)(path.format_map(world), body, format="json")

    assert response.status_code == expected(caller, method, path, owner_answer), response.content
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == response.status_code
        assert tables() == counts, "a refused request wrote something"
    if response.status_code == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("caller", ["owner", "manager", "read-only"])
def test_lists_show_own_rows_and_managers_see_all(world, caller):
    response = bearer(world["tokens"][caller]).get("/api/v1/clients/")
    ids = {row["id"] for row in response.json()["results"]}
    own = {world["client"], world["suppression"]}
    both = own | {world["stranger_client"], world["stranger_suppression"]}
    assert ids == (both if caller == "manager" else own)


def test_a_blocked_users_token_stops_working(world, owner_api):
    assert owner_api.get("/api/v1/clients/").status_code == 200
    world["owner"].is_active = False
    world["owner"].save()
    response = owner_api.get("/api/v1/clients/")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"] or response.json()["detail"]


@pytest.mark.parametrize(
    "change",
    [
        {"message": "stranger_message"},
        {"clients": ["stranger_client"]},
        {"clients": ["client", "stranger_client"]},
    ],
)
def test_another_users_ids_in_a_body_are_a_field_error(world, owner_api, change):
    body = mailing_body(world)
    field = next(iter(change))
    value = change[field]
    body[field] = [world[name] for name in value] if isinstance(value, list) else world[value]
    before = Mailing.objects.count()
    response = owner_api.post("/api/v1/mailings/", body, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field]
    # The same words as for an id that does not exist at all: nothing leaks.
    body[field] = [999_999] if isinstance(value, list) else 999_999
    missing = owner_api.post("/api/v1/mailings/", body, format="json").json()["errors"][field]
    assert [m.replace("999999", "X") for m in missing] == [
        m.replace(str(world["stranger_" + field.rstrip("s")]), "X") for m in errors[field]
    ]
    assert Mailing.objects.count() == before


@pytest.mark.parametrize("caller, runs", [("owner", 1), ("manager", 2), ("other user", 1)])
def test_report_totals_count_the_runs_the_caller_sees(world, caller, runs):
    response = bearer(world["tokens"][caller]).get("/api/v1/reports/totals/")
    assert response.json()["runs"] == runs
    filtered = bearer(world["tokens"][caller]).get(
        "/api/v1/reports/totals/", {"mailing": world["stranger_mailing"]}
    )
    if caller == "owner":  # another user's mailing is not one of the choices
        assert filtered.status_code == 400 and "mailing" in filtered.json()["errors"]
    else:
        assert filtered.json()["runs"] == 1
