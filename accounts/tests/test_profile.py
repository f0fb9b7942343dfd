import pytest

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_profile_requires_login(client):
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_new_users_default_to_moscow_time():
    assert UserFactory().time_zone == "Europe/Moscow"


def test_it_edits_name_time_zone_and_tracking(csrf_client):
    user = UserFactory()
    csrf_client.force_login(user)
    response = csrf_client.submit(
        "/accounts/profile/",
        {
            "first_name": "Иван",
            "last_name": "Петров",
            "time_zone": "Asia/Yekaterinburg",
            "tracking": "recipient",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.time_zone) == ("Иван", "Asia/Yekaterinburg")
    assert user.tracking == "recipient"


def test_it_rejects_an_unknown_time_zone(csrf_client):
    user = UserFactory()
    csrf_client.force_login(user)
    response = csrf_client.submit("/accounts/profile/", {"time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors


def test_delete_asks_for_the_password(csrf_client):
    user = UserFactory()
    csrf_client.force_login(user)
    response = csrf_client.submit("/accounts/delete/", {"password": "wrong"})
    assert response.status_code == 200
    assert User.objects.filter(pk=user.pk).exists()


def test_delete_removes_the_account_and_logs_out(csrf_client):
    user = UserFactory()
    csrf_client.force_login(user)
    response = csrf_client.submit("/accounts/delete/", {"password": PASSWORD})
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert csrf_client.get("/accounts/profile/").status_code == 302


@pytest.mark.parametrize("path", ["/accounts/signup/", "/accounts/login/"])
def test_allauth_forms_are_styled_like_the_rest(client, path):
    html = client.get(path).content.decode()
    assert html.count('class="form-control') >= 2
