"""The home page answers from the cache, and its figures follow changes at once
(signals) or, for changes made behind the ORM's back, within a minute (TTL)."""

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from audience.models import Client
from blog.tests.factories import PostFactory
from dashboard.home import FIGURES_TTL
from mailings.models import Mailing
from mailings.tests.factories import ClientFactory, MailingFactory

pytestmark = pytest.mark.django_db


def figures(client) -> tuple[int, int, int]:
    page = client.get("/").content.decode()
    return tuple(
        int(re.search(rf'id="figure-{name}">([^<]*)<', page).group(1))
        for name in ("mailings", "running", "clients")
    )


def shown_posts(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-post-id="(\d+)"', page)]


def test_steady_state_needs_no_database_nor_templates(client, owner):
    MailingFactory(owner=owner, clients=[ClientFactory(owner=owner)])
    PostFactory.create_batch(5)
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    assert len(shown_posts(response.content.decode())) == 3
    assert [query["sql"] for query in queries] == []
    assert response.templates == []  # the whole page came from the cache


def test_steady_state_for_a_user_only_asks_for_the_session(client, owner):
    MailingFactory(owner=owner)
    client.force_login(owner)
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    tables = set(re.findall(r'(?:FROM|JOIN) "(\w+)"', " ".join(q["sql"] for q in queries)))
    assert tables  # the session and the user are read, as on any page
    assert "mailings_mailing" not in tables and "mailings_client" not in tables


def test_figures_follow_mailing_changes_at_once(client, owner):
    assert figures(client) == (0, 0, 0)
    mailing = MailingFactory(owner=owner)
    assert figures(client) == (1, 0, 0)
    mailing.status = Mailing.Status.RUNNING
    mailing.save()
    assert figures(client) == (1, 1, 0)
    mailing.delete()
    assert figures(client) == (0, 0, 0)


def test_figures_follow_client_changes_at_once(client, owner):
    mailing = MailingFactory(owner=owner)
    first, second = ClientFactory(owner=owner), ClientFactory(owner=owner)
    assert figures(client) == (1, 0, 0)
    mailing.clients.add(first, second)
    assert figures(client) == (1, 0, 2)
    other = UserFactory()
    MailingFactory(owner=other, clients=[ClientFactory(owner=other, email="x@example.org")])
    assert figures(client) == (2, 0, 3)
    second.email = "X@example.org"  # now the same address as the other owner's client
    second.save()
    assert figures(client) == (2, 0, 2)
    first.mailings.remove(mailing)
    assert figures(client) == (2, 0, 1)
    second.delete()
    assert figures(client) == (2, 0, 1)
    mailing.clients.clear()
    other.mailings.get().clients.clear()
    assert figures(client) == (2, 0, 0)


def test_a_change_refreshes_the_owners_cached_figures_too(client, owner):
    client.force_login(owner)
    assert figures(client) == (0, 0, 0)
    MailingFactory(owner=owner, status=Mailing.Status.RUNNING)
    assert figures(client) == (1, 1, 0)


def test_a_change_without_signals_shows_within_a_minute(client, owner, settings):
    # The site's cache may live in Redis, whose clock time-machine cannot move.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    mailing = MailingFactory(owner=owner)
    with time_machine.travel("2026-05-01 12:00:00Z", tick=False) as clock:
        assert figures(client) == (1, 0, 0)
        # The sending engine changes statuses with queryset updates: no signal fires.
        Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.RUNNING)
        Client.objects.bulk_create([Client(owner=owner, email="bulk@example.org")])
        clock.shift(FIGURES_TTL - 1)
        assert figures(client) == (1, 0, 0)  # still the cached figures
        clock.shift(2)
        assert figures(client) == (1, 1, 0)
    assert FIGURES_TTL <= 60


def test_publishing_a_post_renews_the_pool_at_once(client):
    assert shown_posts(client.get("/").content.decode()) == []
    post = PostFactory(title="Brand new")
    page = client.get("/").content.decode()
    assert shown_posts(page) == [post.pk] and "Brand new" in page
    post.is_published = False
    post.save()
    assert shown_posts(client.get("/").content.decode()) == []


def test_a_new_title_shows_on_the_home_page_at_once(client):
    post = PostFactory(title="Old title")
    assert "Old title" in client.get("/").content.decode()
    post.title = "New title"
    post.save()
    page = client.get("/").content.decode()
    assert "New title" in page and "Old title" not in page


def test_an_account_deletion_drops_the_figures_once_not_per_row(client, owner):
    from unittest import mock

    from accounts.services import user_delete
    from dashboard import signals

    MailingFactory(owner=owner, clients=ClientFactory.create_batch(5, owner=owner))
    other = UserFactory()
    MailingFactory(owner=other, clients=[ClientFactory(owner=other)])
    assert figures(client) == (2, 0, 6)
    owner_id = owner.pk

    with mock.patch.object(signals, "figures_changed", wraps=signals.figures_changed) as spy:
        user_delete(user=owner)

    assert figures(client) == (1, 0, 1)
    # The mailing goes first (it protects its message), then one drop for the account:
    # per-row drops made a 20,000-client account take over 30 s to delete.
    assert [call.kwargs["owner_id"] for call in spy.call_args_list] == [owner_id, owner_id]
