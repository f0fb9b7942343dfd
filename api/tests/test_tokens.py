import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.tests.factories import UserFactory, manager
from api.models import ApiToken, secret_hash
from api.tests.conftest import bearer

pytestmark = pytest.mark.django_db


def test_a_token_is_shown_once_and_only_its_hash_is_kept(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post("/accounts/api-tokens/", {"name": "shop", "read_only": ""})
    assert response.status_code == 200
    text = response.context["token_text"]
    token = ApiToken.objects.get(owner=user)
    assert text.startswith(f"rsk_{token.lookup}_")
    secret = text.split("_", 2)[2]
    assert token.secret_hash == secret_hash(secret) and secret not in token.secret_hash
    assert response["Cache-Control"].startswith("max-age=0")
    assert f'data-copy="{text}"' in response.content.decode()  # a copy button for it
    listing = client.get("/accounts/api-tokens/")
    assert "shop" in listing.content.decode() and secret not in listing.content.decode()
    assert bearer(text).get("/api/v1/clients/").status_code == 200


def test_revoking_stops_the_token_and_only_the_owner_may(client):
    user, stranger = UserFactory(), UserFactory()
    token, text = ApiToken.issue(owner=user, name="crm")
    client.force_login(stranger)
    assert client.post(f"/accounts/api-tokens/{token.pk}/revoke/").status_code == 404
    assert bearer(text).get("/api/v1/clients/").status_code == 200
    client.force_login(user)
    assert client.get(f"/accounts/api-tokens/{token.pk}/revoke/").status_code == 405
    assert client.post(f"/accounts/api-tokens/{token.pk}/revoke/").status_code == 302
    response = bearer(text).get("/api/v1/clients/")
    assert response.status_code == 401
    assert response.json()["type"] == "urn:rassylka:problem:authentication_failed"


def test_an_expiry_in_the_past_is_refused(client):
    client.force_login(UserFactory())
    response = client.post(
        "/accounts/api-tokens/", {"name": "t", "expires_on": timezone.localdate().isoformat()}
    )
    assert "expires_on" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_the_token_pages_need_a_login(client):
    assert client.get("/accounts/api-tokens/").status_code == 302


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Bearer rsk_x", "Bearer rsk__", "Bearer rsk_abc_def", "Bearer тест"],
)
def test_malformed_tokens_are_401(header):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/api/v1/clients/")
    assert response.status_code == 401


def test_an_expired_token_stops_working(world):
    token, text = ApiToken.issue(
        owner=world["owner"], name="t", expires_at=timezone.now() + dt.timedelta(minutes=5)
    )
    assert bearer(text).get("/api/v1/clients/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert bearer(text).get("/api/v1/clients/").status_code == 401


def test_last_use_is_recorded(world):
    token, text = ApiToken.issue(owner=world["owner"], name="t")
    bearer(text).get("/api/v1/messages/")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_the_command_prints_the_token_alone_on_its_last_line(capsys):
    user = UserFactory(email="shop@example.com")
    call_command("create_api_token", "SHOP@example.com", "--name", "cron", "--read-only")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    token = ApiToken.objects.get(owner=user)
    assert (token.name, token.read_only) == ("cron", True)
    assert bearer(last).get("/api/v1/clients/").status_code == 200
    assert bearer(last).post("/api/v1/messages/", {"subject": "s", "body": "b"}).status_code == 403


def test_the_command_refuses_unknown_and_blocked_users():
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody@example.com")
    with pytest.raises(CommandError):
        call_command("create_api_token", UserFactory(is_active=False).email)


def test_a_managers_token_reads_all_and_writes_nothing(world):
    overseer = manager()
    _token, text = ApiToken.issue(owner=overseer, name="audit")
    assert bearer(text).get(f"/api/v1/mailings/{world['mailing']}/").status_code == 200
    response = bearer(text).post(f"/api/v1/mailings/{world['mailing']}/disable/")
    assert response.status_code == 403
    assert response.json()["detail"]
