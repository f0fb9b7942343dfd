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


def test_time_zones_are_offered_by_place_in_the_users_language(client):
    client.force_login(UserFactory())
    page = client.get("/accounts/profile/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert '<option value="Asia/Yekaterinburg">Россия — Екатеринбург (UTC+05:00)</option>' in page
    assert "US/Eastern" not in page  # aliases of a zone are not offered twice
    english = client.get("/accounts/profile/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Russia — Yekaterinburg (UTC+05:00)</option>" in english


def test_a_stored_alias_zone_stays_selected_and_valid(csrf_client):
    user = UserFactory(time_zone="US/Eastern")
    csrf_client.force_login(user)
    page = csrf_client.get("/accounts/profile/").content.decode()
    assert '<option value="US/Eastern" selected>' in page
    response = csrf_client.submit(
        "/accounts/profile/",
        {"first_name": "", "last_name": "", "time_zone": "US/Eastern", "tracking": "aggregate"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.time_zone == "US/Eastern"
