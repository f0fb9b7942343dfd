import pytest

from accounts.tests.factories import UserFactory
from webhooks.models import Endpoint, WebhookMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client):
    user = UserFactory()
    client.force_login(user)
    return user


def form(url: str, **changes) -> dict:
    return {"url": url, "description": "shop", "event_types": ["run.finished"], **changes}


def test_an_owner_adds_an_endpoint_and_sees_its_secret_and_log(client, owner, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    response = client.post("/webhooks/new/", form("http://127.0.0.1:8123/hook"))
    endpoint = Endpoint.objects.get(owner=owner)
    assert response.status_code == 302 and endpoint.event_types == ["run.finished"]
    assert endpoint.secret.startswith("whsec_")
    WebhookMessage.objects.create(
        endpoint=endpoint,
        event_key="k",
        event_type="run.finished",
        msg_id="msg_1",
        payload={},
        response_status=502,
        tries=2,
    )
    page = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert endpoint.secret in page and "502" in page


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/",
        "http://10.0.0.5/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "ftp://example.org/",
    ],
)
def test_private_and_odd_addresses_are_refused_beside_the_field(client, owner, url):
    response = client.post("/webhooks/new/", form(url))
    assert response.status_code == 200
    assert response.context["form"].errors["url"]
    assert not Endpoint.objects.exists()


def test_no_event_chosen_is_refused(client, owner, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    response = client.post("/webhooks/new/", form("http://127.0.0.1/", event_types=[]))
    assert "event_types" in response.context["form"].errors


def test_another_users_endpoint_is_404_everywhere(client, owner):
    theirs = Endpoint.objects.create(
        owner=UserFactory(), url="https://example.org/", event_types=[]
    )
    for path in ["", "edit/", "delete/"]:
        assert client.get(f"/webhooks/{theirs.pk}/{path}").status_code == 404
    assert client.post(f"/webhooks/{theirs.pk}/delete/").status_code == 404
    assert client.post(f"/webhooks/{theirs.pk}/enable/").status_code == 404
    assert Endpoint.objects.filter(pk=theirs.pk).exists()
    assert "example.org" not in client.get("/webhooks/").content.decode()


def test_a_disabled_endpoint_can_be_enabled_again(client, owner):
    endpoint = Endpoint.objects.create(
        owner=owner, url="https://example.org/", event_types=[], is_active=False
    )
    assert client.post(f"/webhooks/{endpoint.pk}/enable/").status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.failing_since is None


def test_the_pages_need_a_login(client):
    assert client.get("/webhooks/").status_code == 302


def test_the_admin_lists_endpoints_tokens_and_messages_without_secrets(admin_client):
    from api.models import ApiToken

    endpoint = Endpoint.objects.create(
        owner=UserFactory(), url="https://example.org/", event_types=[]
    )
    token, _text = ApiToken.issue(owner=endpoint.owner, name="t")
    for path in [
        "/admin/webhooks/endpoint/",
        f"/admin/webhooks/endpoint/{endpoint.pk}/change/",
        "/admin/webhooks/webhookmessage/",
        "/admin/api/apitoken/",
        f"/admin/api/apitoken/{token.pk}/change/",
    ]:
        response = admin_client.get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        assert endpoint.secret not in page and token.secret_hash not in page


def test_the_form_offers_every_event_and_keeps_the_ones_chosen(client, owner, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    page = client.get("/webhooks/new/").content.decode()
    for event in ("delivery.failed", "client.bounced", "client.complained", "subscriber.confirmed"):
        assert f'value="{event}"' in page
    chosen = ["delivery.failed", "client.complained", "subscriber.confirmed"]
    client.post("/webhooks/new/", form("http://127.0.0.1:8123/hook", event_types=chosen))
    assert Endpoint.objects.get(owner=owner).event_types == chosen
    refused = client.post("/webhooks/new/", form("http://127.0.0.1/", event_types=["bounce"]))
    assert "event_types" in refused.context["form"].errors
