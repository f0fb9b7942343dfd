"""Who may do what on every blog path, with exact status codes."""

import pytest

from accounts.tests.factories import UserFactory, content_manager, manager
from blog.models import Post
from blog.tests.factories import DraftFactory, PostFactory

pytestmark = pytest.mark.django_db

EDIT_PATHS = ["/blog/new/", "/blog/{pk}/edit/", "/blog/{pk}/delete/"]


@pytest.fixture
def post():
    return PostFactory()


@pytest.fixture
def draft():
    return DraftFactory()


@pytest.mark.parametrize("path", EDIT_PATHS)
def test_it_sends_anonymous_visitors_to_log_in(client, post, path):
    for method in (client.get, client.post):
        response = method(path.format(pk=post.pk))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("make_user", [UserFactory, manager], ids=["user", "manager"])
@pytest.mark.parametrize("path", EDIT_PATHS)
def test_it_forbids_users_without_blog_permissions(client, post, path, make_user):
    client.force_login(make_user())
    url = path.format(pk=post.pk)
    assert client.get(url).status_code == 403
    assert client.post(url, {"title": "x", "body": "y", "is_published": "on"}).status_code == 403
    assert Post.objects.count() == 1


@pytest.mark.parametrize("path", EDIT_PATHS)
def test_it_lets_content_managers_in(client, post, path):
    client.force_login(content_manager())
    assert client.get(path.format(pk=post.pk)).status_code == 200


@pytest.mark.parametrize("make_user", [None, UserFactory, manager], ids=["anon", "user", "manager"])
def test_it_shows_published_posts_to_everyone(client, post, make_user):
    if make_user:
        client.force_login(make_user())
    assert client.get("/blog/").status_code == 200
    assert client.get(f"/blog/{post.pk}/").status_code == 200


@pytest.mark.parametrize("make_user", [None, UserFactory, manager], ids=["anon", "user", "manager"])
def test_it_hides_drafts_from_all_but_content_managers(client, post, draft, make_user):
    if make_user:
        client.force_login(make_user())
    assert client.get(f"/blog/{draft.pk}/").status_code == 404
    assert draft.title not in client.get("/blog/").content.decode()


def test_content_managers_see_drafts(client, draft):
    client.force_login(content_manager())
    assert client.get(f"/blog/{draft.pk}/").status_code == 200
    assert draft.title in client.get("/blog/").content.decode()


def test_it_answers_404_for_a_missing_post(client):
    client.force_login(content_manager())
    assert client.get("/blog/999999/").status_code == 404
    assert client.get("/blog/999999/edit/").status_code == 404


def test_the_blog_names_the_service_as_the_navbar_does(client):
    # One name on a page: not «Rassylka» in the navbar and «Рассылка» in the text.
    page = client.get("/blog/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "максимум из Rassylka" in page
