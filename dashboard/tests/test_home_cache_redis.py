"""The same cache behaviour on Redis, the production cache."""

import os
import re
import uuid

import pytest

from accounts.tests.factories import UserFactory
from blog.tests.factories import PostFactory
from conftest import require_tcp
from mailings.models import Mailing
from mailings.tests.factories import ClientFactory, MailingFactory

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def redis_cache(settings):
    require_tcp(REDIS_URL, "Redis")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A prefix of its own: nothing else in this Redis is touched or read.
            "KEY_PREFIX": f"rassylka-test-{uuid.uuid4().hex}",
        }
    }


def figures(client) -> tuple[int, ...]:
    page = client.get("/").content.decode()
    return tuple(
        int(re.search(rf'id="figure-{name}">([^<]*)<', page).group(1))
        for name in ("mailings", "running", "clients")
    )


def test_figures_are_cached_per_user_and_follow_changes(redis_cache, client):
    anna, boris = UserFactory(), UserFactory()
    MailingFactory(owner=boris, clients=[ClientFactory(owner=boris)])
    client.force_login(anna)
    assert figures(client) == (0, 0, 0)
    mailing = MailingFactory(owner=anna, status=Mailing.Status.RUNNING)
    assert figures(client) == (1, 1, 0)
    mailing.clients.add(ClientFactory(owner=anna))
    assert figures(client) == (1, 1, 1)
    client.force_login(boris)
    assert figures(client) == (1, 0, 1)
    client.logout()
    assert figures(client) == (2, 1, 2)


def test_posts_come_from_the_cache_and_follow_changes(redis_cache, client):
    post = PostFactory(title="First title")
    assert "First title" in client.get("/").content.decode()
    post.title = "Second title"
    post.save()
    assert "Second title" in client.get("/").content.decode()
    assert "Second title" in client.get("/blog/").content.decode()
