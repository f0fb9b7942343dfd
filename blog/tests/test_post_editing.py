"""Content managers write, edit and delete posts through the forms."""

from datetime import UTC, datetime

import pytest
import time_machine

from accounts.tests.factories import content_manager
from blog.models import Post
from blog.tests.factories import DraftFactory, PostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(csrf_client):
    user = content_manager()
    csrf_client.force_login(user)
    return user


def test_it_creates_a_post(csrf_client, editor):
    response = csrf_client.submit(
        "/blog/new/", {"title": "Привет", "body": "**Жирный** текст", "is_published": "on"}
    )
    post = Post.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/blog/{post.pk}/"
    assert post.author == editor
    assert post.body_html == "<p><strong>Жирный</strong> текст</p>"
    assert post.published_at is not None


def test_it_keeps_a_draft_unpublished(csrf_client, editor):
    csrf_client.submit("/blog/new/", {"title": "Черновик", "body": "Текст"})
    post = Post.objects.get()
    assert (post.is_published, post.published_at) == (False, None)


def test_it_requires_a_title_and_a_body(csrf_client, editor):
    response = csrf_client.submit("/blog/new/", {"title": "", "body": ""})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"title", "body"}
    assert not Post.objects.exists()


def test_it_sets_published_at_when_first_published(csrf_client, editor):
    draft = DraftFactory()
    with time_machine.travel("2026-03-01 10:00Z", tick=False):
        csrf_client.submit(
            f"/blog/{draft.pk}/edit/", {"title": draft.title, "body": "x", "is_published": "on"}
        )
    draft.refresh_from_db()
    first = draft.published_at
    assert first == datetime(2026, 3, 1, 10, tzinfo=UTC)
    # Unpublishing and publishing again keeps the first date.
    csrf_client.submit(f"/blog/{draft.pk}/edit/", {"title": draft.title, "body": "x"})
    csrf_client.submit(
        f"/blog/{draft.pk}/edit/", {"title": draft.title, "body": "x", "is_published": "on"}
    )
    draft.refresh_from_db()
    assert draft.published_at == first


def test_it_edits_a_post(csrf_client, editor):
    post = PostFactory(title="Old", body="old")
    response = csrf_client.submit(
        f"/blog/{post.pk}/edit/", {"title": "New", "body": "# New", "is_published": "on"}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.title, post.body_html) == ("New", "<h1>New</h1>")


def test_it_deletes_a_post(csrf_client, editor):
    post = PostFactory()
    response = csrf_client.submit(f"/blog/{post.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == "/blog/"
    assert not Post.objects.filter(pk=post.pk).exists()


def test_the_list_shows_newest_first_and_paginates(client):
    for day in range(1, 12):
        with time_machine.travel(f"2026-01-{day:02d} 12:00Z", tick=False):
            PostFactory(title=f"Day {day:02d}")
    page_one = client.get("/blog/").content.decode()
    assert page_one.index("Day 11") < page_one.index("Day 10")
    assert "Day 02" not in page_one
    page_two = client.get("/blog/?page=2").content.decode()
    assert "Day 02" in page_two and "Day 01" in page_two and "Day 11" not in page_two
    assert client.get("/blog/?page=abc").status_code == 200


def test_the_cached_list_follows_changes_at_once(csrf_client, editor):
    post = PostFactory(title="Before")
    assert "Before" in csrf_client.get("/blog/").content.decode()
    csrf_client.submit(
        f"/blog/{post.pk}/edit/", {"title": "After", "body": "x", "is_published": "on"}
    )
    page = csrf_client.get("/blog/").content.decode()
    assert "After" in page and "Before" not in page
    assert "After" in csrf_client.get(f"/blog/{post.pk}/").content.decode()
