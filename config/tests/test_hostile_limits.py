"""Never a 5xx at the edges the issue found: tampered API cursors, JSON nested without
end, provider webhooks nobody configured, names with line breaks (which end up in email
headers) and bodies larger than a page takes. Each is answered with a clear 4xx (a
problem document in the API), and nothing is written."""

import base64
import json

import pytest
from django.core import mail
from django.test import Client as HttpClient
from hypothesis import given
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from api.limits import MAX_JSON_DEPTH
from api.models import ApiToken
from api.tests.conftest import bearer
from audience.models import Client, MailingList
from audience.tests.signup import list_of
from config.tests import hostile
from content.models import Message
from feedback.esp_webhooks import TRACKING_VIEWS
from mailings.tests.factories import ClientFactory, DeliveryFactory, MailingFactory
from senders.models import Sender

PAGINATED = [
    "/api/v1/clients/",
    "/api/v1/lists/",
    "/api/v1/tags/",
    "/api/v1/segments/",
    "/api/v1/messages/",
    "/api/v1/mailings/",
    "/api/v1/attempts/",
    "/api/v1/attempts/{attempt}/deliveries/",
    "/api/v1/suppressions/",
]
PROBLEM = "application/problem+json"
LIST_FORM = "/lists/new/"


def cursor_of(position: str, *, reverse: bool = False) -> str:
    query = f"p={position}" + ("&r=1" if reverse else "")
    return base64.b64encode(query.encode("utf-8", "surrogatepass")).decode()


positions = st.one_of(
    hostile.hostile_text,
    st.sampled_from(["-1", "1.5", " 1", "１", "٣", str(2**63), str(2**63 - 1), "0x10"]),
)
cursors = st.one_of(
    positions.map(cursor_of),
    positions.map(lambda position: cursor_of(position, reverse=True)),
    hostile.hostile_text,
    st.binary(max_size=40).map(lambda raw: base64.b64encode(raw).decode()),
)


@pytest.mark.parametrize("path", PAGINATED)
def test_a_tampered_cursor_is_a_400_on_every_paginated_endpoint(world, path):
    api = bearer(world["token"])
    url = path.format(attempt=world["attempt"])

    @given(cursor=cursors)
    def run(cursor):
        response = api.get(url, {"cursor": cursor})
        assert response.status_code in (200, 400), response.content[:300]
        if response.status_code == 400:
            assert response["Content-Type"] == PROBLEM
            assert "cursor" in response.json()["errors"]

    run()
    assert api.get(url, {"cursor": cursor_of("abc")}).status_code == 400


def test_the_cursors_the_api_hands_out_still_work(world):
    api = bearer(world["token"])
    first = api.get("/api/v1/clients/", {"page_size": 1}).json()
    second = api.get(first["next"])
    assert second.status_code == 200
    assert second.json()["results"][0]["id"] != first["results"][0]["id"]
    assert api.get(second.json()["previous"]).json()["results"] == first["results"]


def nested(depth: int, kind: str) -> str:
    opening, closing = ('{"a":', "}") if kind == "object" else ("[", "]")
    return opening * depth + "1" + closing * depth


def test_json_nested_too_deep_is_a_400(world):
    api = bearer(world["token"])

    @given(depth=st.integers(MAX_JSON_DEPTH + 1, 100_000), kind=st.sampled_from(["list", "object"]))
    def run(depth, kind):
        body = '{"subject": "s", "body": ' + nested(depth, kind) + "}"
        response = api.post("/api/v1/messages/", data=body, content_type="application/json")
        assert response.status_code == 400, response.content[:300]
        assert response["Content-Type"] == PROBLEM

    run()
    assert not Message.objects.filter(subject="s").exists()


def test_json_nested_to_the_limit_is_read(world):
    body = '{"subject": "s", "body": "b", "x": ' + nested(MAX_JSON_DEPTH - 1, "list") + "}"
    response = bearer(world["token"]).post(
        "/api/v1/messages/", data=body, content_type="application/json"
    )
    assert response.status_code == 201, response.content[:300]


@pytest.mark.slow
def test_a_3_mb_request_within_the_api_limit_is_taken(world, settings):
    # Over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), which used to answer first (an
    # HTML 400): the API's own documented limit is the one that counts.
    assert settings.API_MAX_BODY_BYTES > 3_500_000 > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    note = "x" * 290
    rows = [{"email": f"c{n}@example.org", "comment": note} for n in range(10_000)]
    body = json.dumps({"clients": rows})
    assert len(body) > 3_000_000
    response = bearer(world["token"]).post(
        "/api/v1/clients/bulk/", data=body, content_type="application/json"
    )
    assert response.status_code == 200, response.content[:300]
    assert Client.objects.filter(comment=note).count() == 10_000


def test_a_body_past_the_api_limit_is_a_json_413(world, settings):
    settings.API_MAX_BODY_BYTES = limit = 3 * 1024 * 1024
    api = bearer(world["token"])

    @given(extra=st.integers(1, 2_000_000))
    def run(extra):
        body = json.dumps({"subject": "huge", "body": "x" * (limit + extra)})
        response = api.post("/api/v1/messages/", data=body, content_type="application/json")
        assert response.status_code == 413
        assert response["Content-Type"] == PROBLEM
        assert response.json()["type"] == "urn:rassylka:problem:request_too_large"

    run()
    assert not Message.objects.filter(subject="huge").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("esp", sorted(TRACKING_VIEWS))
def test_a_provider_webhook_without_its_configuration_is_a_4xx(settings, esp):
    settings.ANYMAIL = {}  # no secret, no signing key: nothing configured

    @given(body=st.one_of(st.binary(max_size=200), hostile.hostile_text.map(str.encode)))
    def run(body):
        response = HttpClient().post(f"/webhooks/esp/{esp}/", data=body, content_type="text/json")
        assert 400 <= response.status_code < 500

    run()


@pytest.mark.django_db
@pytest.mark.parametrize("esp", sorted(TRACKING_VIEWS))
def test_an_anonymous_post_to_a_provider_with_only_basic_auth_set_is_a_4xx(settings, esp):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "user:pass"}
    response = HttpClient().post(f"/webhooks/esp/{esp}/", data=b"{}", content_type="text/json")
    assert 400 <= response.status_code < 500


line_breaks = st.sampled_from(["\r", "\n", "\r\n", "\u2028", "\x85", "\x0b"])


def test_a_list_name_with_a_line_break_is_refused_by_the_form_and_the_api(world, signed_in_owner):
    api = bearer(world["token"])

    @given(before=st.text(hostile.CHARACTERS, max_size=20), brk=line_breaks)
    def run(before, brk):
        name = "x" + before + brk + "Bcc: victim@example.org"
        page = signed_in_owner.submit(LIST_FORM, {"name": name, "language": "ru"})
        assert page.status_code == 200  # the form again, with the error
        response = api.post("/api/v1/lists/", {"name": name}, format="json")
        assert response.status_code == 400
        assert "name" in response.json()["errors"]

    run()
    assert not MailingList.objects.filter(name__contains="Bcc:").exists()


def test_a_sender_name_with_a_line_break_is_refused(signed_in_owner):
    @given(brk=line_breaks)
    def run(brk):
        form = {"name": f"Shop{brk}Bcc: x@example.org", "email": "news@example.org"}
        page = signed_in_owner.submit(
            "/senders/new/", {**form, "reply_to": "", "postal_address": ""}
        )
        assert page.status_code == 200

    run()
    assert not Sender.objects.exists()


@pytest.mark.django_db
def test_a_list_named_with_a_line_break_before_the_check_still_signs_people_up():
    mailing_list = list_of(name="News\r\nBcc: victim@example.org")
    response = HttpClient().post(f"/subscribe/{mailing_list.token}/", {"email": "a@example.org"})
    assert response.status_code == 200
    (email,) = mail.outbox
    assert "\n" not in email.subject and "\r" not in email.subject


@pytest.mark.django_db
@pytest.mark.parametrize("size", [70 * 1024, 100 * 1024 * 1024])
def test_the_anonymous_subscribe_form_refuses_a_large_upload(size):
    mailing_list = list_of()
    url = f"/subscribe/{mailing_list.token}/"
    body = b"email=anna%40example.org&full_name=" + b"x" * 100
    # The declared length is what is refused, before any of the body is read.
    response = HttpClient().generic(
        "POST",
        url,
        body,
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(size),
    )
    assert response.status_code == 413
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_a_real_multipart_upload_to_the_public_form_is_refused():
    mailing_list = list_of()
    upload = hostile.SimpleUploadedFile("big.bin", b"\x00" * (200 * 1024))
    response = HttpClient().post(
        f"/subscribe/{mailing_list.token}/", {"email": "anna@example.org", "file": upload}
    )
    assert response.status_code == 413
    assert not Client.objects.exists()


@pytest.fixture
def world(db):
    """An owner with a token, two clients and a run (so that each list has rows)."""
    owner = UserFactory(time_zone="UTC")
    clients = [ClientFactory(owner=owner) for _ in range(2)]
    mailing = MailingFactory(owner=owner, clients=clients)
    delivery = DeliveryFactory(attempt__mailing=mailing, client=clients[0])
    return {
        "owner": owner,
        "token": ApiToken.issue(owner=owner, name="shop")[1],
        "attempt": delivery.attempt_id,
    }


@pytest.fixture
def signed_in_owner(world, csrf_client):
    csrf_client.force_login(world["owner"])
    return csrf_client
