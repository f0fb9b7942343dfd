"""Problem details, body limit, throttling, idempotency keys, pagination and queries."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.models import IdempotentRequest
from api.tests.conftest import bearer
from audience.models import Client, Segment
from audience.tests.factories import MembershipFactory, TagFactory
from content.models import Message
from feedback.services import feedback_record
from mailings.tests.factories import AttemptFactory, ClientFactory, MailingFactory

pytestmark = pytest.mark.django_db


def test_malformed_json_is_a_problem_document(owner_api):
    response = owner_api.generic(
        "POST", "/api/v1/clients/", '{"email": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:rassylka:problem:parse_error"
    assert body["title"] == "Bad Request" and body["status"] == 400 and body["detail"]


def test_field_errors_use_the_web_forms_words(world, owner_api):
    ClientFactory(owner=world["owner"], email="taken@example.org")
    response = owner_api.post(
        "/api/v1/clients/",
        {"email": "TAKEN@example.org"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"email": ["You already have a client with this email."]}


@pytest.mark.parametrize(
    "body, field",
    [
        ({"start_at": "soon"}, "start_at"),
        ({"start_at": "2031-06-01T09:00:00Z", "end_at": "2031-05-01T09:00:00Z"}, "end_at"),
        ({"end_at": None}, "end_at"),  # daily needs an end
        ({"start_at": "0001-01-01T00:00:00+05:00"}, "start_at"),
        ({"start_at": "9999-12-31T23:59:59-12:00", "end_at": None, "periodicity": "once"}, None),
        ({"message": "one"}, "message"),
        ({"clients": [2**70]}, "clients"),
        ({"clients": []}, "clients"),
        ({"periodicity": "hourly"}, "periodicity"),
    ],
)
def test_bad_mailings_are_refused_beside_the_field(world, owner_api, body, field):
    valid = {
        "message": world["message"],
        "clients": [world["client"]],
        "start_at": "2031-06-01T09:00:00Z",
        "end_at": "2031-07-01T09:00:00Z",
        "periodicity": "daily",
    }
    response = owner_api.post("/api/v1/mailings/", {**valid, **body}, format="json")
    assert response.status_code == 400, response.content
    if field:
        assert field in response.json()["errors"]


@pytest.mark.parametrize("field", ["start_at", "end_at"])
def test_a_naive_time_outside_the_calendar_is_a_field_error_in_any_zone(world, field):
    # DRF puts a naive time in the owner's zone: 0001-01-01 00:00 in Moscow is year 0 in
    # UTC, an OverflowError (a 500, found by the hostile-input suite).
    world["stranger"].time_zone = "Europe/Moscow"
    world["stranger"].save(update_fields=["time_zone"])
    valid = {
        "message": world["stranger_message"],
        "clients": [world["stranger_client"]],
        "start_at": "2031-06-01T09:00",
        "end_at": "2031-07-01T09:00",
        "periodicity": "daily",
    }
    api = bearer(world["tokens"]["other user"])
    response = api.post("/api/v1/mailings/", {**valid, field: "0001-01-01T00:00"}, format="json")
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()["errors"]


def test_a_body_over_the_limit_is_413(owner_api, settings):
    settings.API_MAX_BODY_BYTES = 1000
    response = owner_api.post(
        "/api/v1/messages/", {"subject": "s", "body": "x" * 2000}, format="json"
    )
    assert response.status_code == 413
    assert response.json()["type"] == "urn:rassylka:problem:request_too_large"
    assert not Message.objects.filter(subject="s").exists()


# Mid-minute: the limit counts in windows aligned to the clock.
@time_machine.travel(dt.datetime(2030, 1, 1, 12, 0, 20, tzinfo=dt.UTC), tick=False)
def test_throttled_tokens_get_429_with_retry_after(world, owner_api, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
    from rest_framework.throttling import SimpleRateThrottle

    rates = SimpleRateThrottle.THROTTLE_RATES
    original = dict(rates)
    rates["token"] = "3/min"
    try:
        answers = [owner_api.get("/api/v1/messages/").status_code for _ in range(4)]
        last = owner_api.get("/api/v1/messages/")
    finally:
        rates.clear()
        rates.update(original)
    assert answers[:3] == [200, 200, 200]
    assert last.status_code == 429
    assert last["Retry-After"] == "40"
    assert last["Content-Type"] == "application/problem+json"


def test_an_idempotency_key_replays_the_first_response(world, owner_api):
    body = {"email": "once@example.org"}
    first = owner_api.post("/api/v1/clients/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = owner_api.post("/api/v1/clients/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Client.objects.filter(email="once@example.org").count() == 1

    other = owner_api.post(
        "/api/v1/clients/", {"email": "two@example.org"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert other.status_code == 422
    assert other.json()["type"] == "urn:rassylka:problem:idempotency_key_reused"
    assert not Client.objects.filter(email="two@example.org").exists()


def test_idempotency_keys_belong_to_their_owner(world, owner_api):

    owner_api.post("/api/v1/messages/", {"subject": "a", "body": "b"}, HTTP_IDEMPOTENCY_KEY="k")
    theirs = bearer(world["tokens"]["other user"]).post(
        "/api/v1/messages/", {"subject": "a", "body": "b"}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert IdempotentRequest.objects.count() == 2


def test_a_refused_request_does_not_use_up_its_key(world, owner_api):
    bad = owner_api.post("/api/v1/clients/", {"email": "x"}, HTTP_IDEMPOTENCY_KEY="k2")
    good = owner_api.post("/api/v1/clients/", {"email": "x@example.org"}, HTTP_IDEMPOTENCY_KEY="k2")
    assert (bad.status_code, good.status_code) == (400, 201)


def test_cursor_pages_walk_every_row_once(world, owner_api):
    for n in range(7):
        ClientFactory(owner=world["owner"], email=f"p{n}@example.org")
    seen, url = [], "/api/v1/clients/?page_size=3"
    while url:
        page = owner_api.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    own = Client.objects.filter(owner=world["owner"]).count()
    assert sorted(seen) == seen and len(seen) == len(set(seen)) == own == 9


def test_filters_by_email_and_updated_since(world, owner_api):
    ClientFactory(owner=world["owner"], email="Find.Me@example.org")
    found = owner_api.get("/api/v1/clients/?email=find.me@EXAMPLE.org").json()["results"]
    assert [row["email"] for row in found] == ["Find.Me@example.org"]
    assert (
        owner_api.get("/api/v1/clients/?updated_since=2099-01-01T00:00:00Z").json()["results"] == []
    )
    bad = owner_api.get("/api/v1/clients/?updated_since=9999-12-31T23:59:59-12:00")
    assert bad.status_code == 400 and "updated_since" in bad.json()["errors"]


def test_deliveries_filter_by_status(world, owner_api):
    rows = owner_api.get(f"/api/v1/attempts/{world['attempt']}/deliveries/?status=failed")
    assert [row["status"] for row in rows.json()["results"]] == ["failed"]
    none = owner_api.get(f"/api/v1/attempts/{world['attempt']}/deliveries/?status=sent")
    assert none.json()["results"] == []
    bad = owner_api.get(f"/api/v1/attempts/{world['attempt']}/deliveries/?status=odd")
    assert bad.status_code == 400


def add_rows(owner, count: int) -> None:
    for _ in range(count):
        clients = ClientFactory.create_batch(2, owner=owner)
        mailing = MailingFactory(owner=owner, clients=clients)
        AttemptFactory(mailing=mailing)
        feedback_record(client=clients[0], kind="complaint", source="arf")
        MembershipFactory(client=clients[0], mailing_list__owner=owner)
        TagFactory(owner=owner).clients.add(*clients)
        Segment.objects.create(
            owner=owner, name="S", rules=[{"field": "status", "op": "is", "value": "active"}]
        )


LISTS = [
    "/api/v1/clients/",
    "/api/v1/messages/",
    "/api/v1/mailings/",
    "/api/v1/attempts/",
    "/api/v1/suppressions/",
    "/api/v1/lists/",
    "/api/v1/tags/",
    "/api/v1/segments/",
]


def test_list_endpoints_use_the_same_queries_for_any_page_size(world, owner_api, capsys):
    add_rows(world["owner"], 3)

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner_api.get(path).status_code == 200
        return len(captured)

    for path in LISTS:
        count(path)  # warm up (last_used_at is written once a minute)
    few = {path: count(f"{path}?page_size=2") for path in LISTS}
    add_rows(world["owner"], 40)
    many = {path: count(f"{path}?page_size=100") for path in LISTS}
    with capsys.disabled():
        print("\nSQL queries per API list page, 2 rows → 100 rows:")
        for path in LISTS:
            print(f"  {path:28} {few[path]} → {many[path]}")
    assert many == few
    # The token, the two permission lookups (who oversees) and the page itself; clients
    # bring their tags and lists in one query each.
    assert many.pop("/api/v1/clients/") <= 6
    assert max(many.values()) <= 4


def test_a_parallel_request_with_the_same_key_undoes_this_one(world, owner_api):
    """The other request records the key while this one works (a receiver stands in for
    it): this one's insert of the key fails, so its own work is rolled back: a 409."""
    from django.db.models.signals import post_save

    def the_other_request_finishes(sender, instance, created, **kwargs):
        IdempotentRequest.objects.create(
            owner=world["owner"], key="race", fingerprint="other", status_code=201, body={}
        )

    post_save.connect(the_other_request_finishes, sender=Client)
    try:
        response = owner_api.post(
            "/api/v1/clients/", {"email": "race@example.org"}, HTTP_IDEMPOTENCY_KEY="race"
        )
    finally:
        post_save.disconnect(the_other_request_finishes, sender=Client)
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert not Client.objects.filter(email="race@example.org").exists()
