"""What the README tells an operator to do: make an administrator with createsuperuser,
then give people their role in /admin/ by adding them to a group."""

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from accounts.tests.factories import UserFactory, role_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "admin-pass-2026")
    call_command("createsuperuser", "--noinput", email="admin@example.com", verbosity=0)
    return User.objects.get(email="admin@example.com")


@pytest.mark.parametrize(
    ("group_name", "page"), [("Managers", "/manager/users/"), ("Content managers", "/blog/new/")]
)
def test_an_administrator_gives_a_role_in_the_admin(client, administrator, group_name, page):
    group = role_group(group_name)
    person = UserFactory(email="person@example.com", password="person-pass-2026")
    people = Client()
    people.force_login(person)
    assert people.get(page).status_code == 403
    assert client.login(email="admin@example.com", password="admin-pass-2026")
    url = f"/admin/accounts/user/{person.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "email": person.email,
            "first_name": "",
            "last_name": "",
            "time_zone": person.time_zone,
            "is_active": "on",
            "groups": [group.pk],
            "date_joined_0": "2026-11-01",
            "date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert people.get(page).status_code == 200
