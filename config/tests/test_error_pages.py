"""Error pages: in the site's layout, translated, with a way back; the 500 page renders
with nothing but itself (no database, no request context)."""

import pytest
from django.db import OperationalError, ProgrammingError
from django.template.loader import get_template
from django.test import Client
from django.urls import path
from django.utils import translation

import config.urls
from accounts.tests.factories import UserFactory, manager


def broken_view(request):
    raise RuntimeError("boom")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "title"), [("ru", "Страница не найдена"), ("en", "Page not found")]
)
def test_a_missing_page_is_in_the_layout_translated_with_a_way_back(client, language, title):
    client.cookies["django_language"] = language
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert title in page
    assert 'class="navbar' in page  # the site's own layout
    assert 'href="/"' in page


@pytest.mark.django_db
def test_another_users_object_is_the_same_friendly_404(client):
    from mailings.tests.factories import MailingFactory

    mailing = MailingFactory()
    client.force_login(UserFactory())
    response = client.get(f"/mailings/{mailing.pk}/")
    assert response.status_code == 404
    assert "Страница не найдена" in response.content.decode()


@pytest.mark.django_db
def test_a_manager_at_a_create_page_is_told_why_in_the_layout(client):
    client.force_login(manager())
    response = client.get("/mailings/new/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "Нет доступа" in page and "Менеджеры видят" in page
    assert 'class="navbar' in page and 'href="/mailings/"' in page


def test_the_500_page_renders_without_a_request_or_the_database():
    # No django_db mark: any query would fail the test.
    template = get_template("500.html")
    with translation.override("ru"):
        page = template.render({})
    assert "Что-то пошло не так" in page and 'href="/"' in page
    with translation.override("en"):
        assert "Something went wrong" in template.render({})


@pytest.mark.urls(__name__)
def test_an_exception_answers_with_the_500_page(settings):
    client = Client(raise_request_exception=False)
    response = client.get("/broken/")
    assert response.status_code == 500
    assert 'data-status="500"' in response.content.decode()


def database_away_view(request):
    raise OperationalError("could not connect to server: Connection refused")


def database_error_view(request):
    raise ProgrammingError('relation "nothing" does not exist')


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_database_that_is_away_answers_503_with_retry_after(language):
    client = Client(raise_request_exception=False)
    client.cookies["django_language"] = language
    response = client.get("/database-away/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert 'data-status="503"' in page
    assert ("Скоро вернёмся" if language == "ru" else "Back in a moment") in page


@pytest.mark.urls(__name__)
def test_a_wrong_query_is_still_our_500():
    client = Client(raise_request_exception=False)
    response = client.get("/database-error/")
    assert response.status_code == 500
    assert "Retry-After" not in response


# The project's own handler serves this test URLconf's errors too.
handler500 = config.urls.handler500
urlpatterns = [
    path("broken/", broken_view),
    path("database-away/", database_away_view),
    path("database-error/", database_error_view),
]
