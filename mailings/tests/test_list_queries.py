"""Lists cost the same number of SQL queries with 10 rows as with 300 (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory, manager
from audience.models import Client
from mailings.tests.factories import AttemptFactory, MailingFactory, MessageFactory

pytestmark = pytest.mark.django_db


def queries_for(browser, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(path)
        assert response.status_code == 200
    return len(captured)


def add_rows(owner, count: int) -> None:
    start = Client.objects.count()
    clients = Client.objects.bulk_create(
        Client(owner=owner, email=f"c{start + n}@example.org", full_name=f"Клиент {n}")
        for n in range(count)
    )
    for n in range(count):
        message = MessageFactory(owner=owner)
        mailing = MailingFactory(owner=owner, message=message)
        mailing.clients.set(clients[max(0, n - 3) : n + 1])
        AttemptFactory(mailing=mailing)


PATHS = [
    "/clients/",
    "/clients/?sort=-mailings",
    "/messages/",
    "/mailings/",
    "/mailings/?sort=recipients&q=Новости",
    "/reports/",
]


@pytest.mark.slow
@pytest.mark.parametrize("role", ["owner", "manager"])
def test_list_pages_do_not_grow_with_rows(client, capsys, role):
    owner = UserFactory()
    viewer = owner if role == "owner" else manager()
    client.force_login(viewer)
    add_rows(owner, 10)
    for path in PATHS:  # warm up: per-session and per-process caches fill on first use
        client.get(path)
    few = {path: queries_for(client, path) for path in PATHS}
    add_rows(owner, 290)
    many = {path: queries_for(client, path) for path in PATHS}
    with capsys.disabled():
        print(f"\nSQL queries per page as {role}, 10 rows → 300 rows:")
        for path in PATHS:
            print(f"  {path:40} {few[path]:3} → {many[path]}")
    assert many == few
    assert max(many.values()) <= 12


def test_the_manager_user_list_does_not_grow_with_users(client, capsys):
    client.force_login(manager())
    for _ in range(10):
        add_rows(UserFactory(), 1)
    client.get("/manager/users/")
    few = queries_for(client, "/manager/users/")
    for _ in range(290):
        UserFactory()
    many = queries_for(client, "/manager/users/")
    with capsys.disabled():
        print(f"\nSQL queries for /manager/users/, 11 users → 301 users: {few} → {many}")
    assert many == few
