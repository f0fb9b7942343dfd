"""Visitors without an account get one cached page per language, with their own random
posts and CSRF token filled in; anything particular to a visitor bypasses it."""

import re

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.test import Client

from accounts.tests.factories import UserFactory
from blog.tests.factories import PostFactory
from dashboard.home import CARD_HOLE, CSRF_HOLE, SHARED_PAGE_CARDS, shared_page_key
from mailings.tests.factories import MailingFactory

pytestmark = pytest.mark.django_db


def shown_posts(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-post-id="(\d+)"', page)]


def switcher_next(page: str) -> str:
    return re.search(r'<input name="next" type="hidden" value="([^"]*)"', page).group(1)


def test_each_request_picks_its_own_posts_from_the_cached_page(client):
    posts = {post.pk for post in PostFactory.create_batch(6)}
    seen = set()
    for _ in range(60):
        response = client.get("/")
        picked = shown_posts(response.content.decode())
        assert len(picked) == len(set(picked)) == 3
        seen.update(picked)
    assert response.templates == []  # served from the cached page
    assert seen == posts


def test_no_hole_is_left_in_the_page(client):
    PostFactory()  # one post: two of the three card holes stay empty
    for _ in range(2):  # the request that builds the page and one served from it
        page = client.get("/").content.decode()
        assert CSRF_HOLE not in page
        assert "shared-page-post-card" not in page and CARD_HOLE.format(0) not in page
        assert len(shown_posts(page)) == 1


def test_the_cached_pages_csrf_token_is_valid_for_the_language_switch():
    visitor = Client(enforce_csrf_checks=True)
    visitor.get("/")  # builds the page
    page = visitor.get("/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = visitor.post(
        "/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert "Email mailings you host yourself" in visitor.get("/").content.decode()


def test_a_foreign_token_does_not_switch_the_language():
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get("/")
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', first.get("/").content.decode()
    ).group(1)
    second.get("/")  # has a CSRF cookie of its own
    response = second.post("/i18n/setlang/", {"language": "en", "csrfmiddlewaretoken": token})
    assert response.status_code == 403


def test_each_language_has_its_own_page(client):
    russian = client.get("/").content.decode()
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="ru">' in russian and '<html lang="en">' in english
    assert "Email mailings you host yourself" in english
    assert "Email mailings you host yourself" not in client.get("/").content.decode()


def test_a_query_string_gets_a_page_of_its_own_and_does_not_stick(client):
    client.get("/")
    tagged = client.get("/?utm_source=newsletter")
    assert tagged.templates  # rendered for this request
    assert switcher_next(tagged.content.decode()) == "/?utm_source=newsletter"
    assert switcher_next(client.get("/").content.decode()) == "/"


def test_a_visitor_who_just_signed_out_is_told_so(client):
    user = UserFactory(password="pass-2026-home")
    client.force_login(user)
    client.get("/")  # a user's page: not the shared one
    client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/accounts/logout/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "You have signed out." in response.content.decode()
    again = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You have signed out." not in again and "Log in" in again


def test_a_user_never_gets_the_visitors_page(client):
    client.get("/")  # the shared page exists
    user = UserFactory()
    client.force_login(user)
    response = client.get("/")
    assert response.templates and 'data-scope="user:' in response.content.decode()


def test_many_posts_are_picked_from_a_renewed_selection(client, settings):
    PostFactory.create_batch(SHARED_PAGE_CARDS + 5)
    seen = set()
    for _ in range(40):
        seen.update(shown_posts(client.get("/").content.decode()))
    assert len(seen) <= SHARED_PAGE_CARDS  # one cached selection
    assert len(seen) > 3  # but not the same three posts every time


def test_while_one_request_builds_the_page_the_others_render_their_own(client):
    PostFactory(title="Only post")
    cache.add(shared_page_key("ru") + ":building", 1, 30)  # a build under way elsewhere
    response = client.get("/")
    assert response.templates  # rendered the ordinary way
    assert "Only post" in response.content.decode()
    assert cache.get(shared_page_key("ru")) is None  # and left the building to the other
    cache.delete(shared_page_key("ru") + ":building")
    client.get("/")
    assert cache.get(shared_page_key("ru")) is not None
    assert client.get("/").templates == []


def test_a_release_with_other_static_files_builds_its_own_page(client, monkeypatch):
    client.get("/")
    assert client.get("/").templates == []
    # ManifestStaticFilesStorage's hash of its manifest changes with any static file.
    monkeypatch.setattr(staticfiles_storage, "manifest_hash", "next-release", raising=False)
    assert client.get("/").templates  # not the previous release's page
    assert client.get("/").templates == []


def test_while_one_request_renews_a_stale_page_the_others_get_the_stale_one(client):
    client.get("/")
    MailingFactory()  # the figures change: the page is stale now
    cache.add(shared_page_key("ru") + ":building", 1, 30)  # its renewal is under way elsewhere
    response = client.get("/")
    assert response.templates == []  # served from the cache, not rendered here
    assert 'id="figure-mailings">0<' in response.content.decode()
    cache.delete(shared_page_key("ru") + ":building")
    assert 'id="figure-mailings">1<' in client.get("/").content.decode()
