"""Three random published posts on the home page, picked without sorting the table."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from blog.tests.factories import DraftFactory, PostFactory
from dashboard.home import random_post_ids

pytestmark = pytest.mark.django_db


def test_it_picks_three_distinct_published_posts():
    published = {post.pk for post in PostFactory.create_batch(6)}
    drafts = {post.pk for post in DraftFactory.create_batch(3)}
    seen = set()
    for _ in range(60):
        picked = random_post_ids(3)
        assert len(picked) == len(set(picked)) == 3
        assert set(picked) <= published
        seen.update(picked)
    assert seen == published  # every post gets its turn
    assert not seen & drafts


def test_it_shows_fewer_when_fewer_are_published(client):
    only = PostFactory(title="The only one")
    DraftFactory(title="Secret draft")
    assert random_post_ids(3) == [only.pk]
    page = client.get("/").content.decode()
    assert "The only one" in page and "Secret draft" not in page


def test_it_shows_a_note_without_posts(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "No posts yet." in response.content.decode()
    assert 'id="home-posts"' not in response.content.decode()


def test_the_pick_does_not_sort_in_the_database():
    PostFactory.create_batch(5)
    with CaptureQueriesContext(connection) as queries:
        random_post_ids(3)
    sql = " ".join(query["sql"] for query in queries).upper()
    assert "RANDOM()" not in sql and "ORDER BY" not in sql


def test_the_home_page_renders_three_cards(client):
    posts = PostFactory.create_batch(5)
    page = client.get("/").content.decode()
    assert page.count('class="card h-100 shadow-sm post-card"') == 3
    assert sum(f'data-post-id="{post.pk}"' in page for post in posts) == 3
