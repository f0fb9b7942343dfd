"""The blog in a real browser: writing a post with an image, counting views, no script runs."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, content_manager
from blog.models import Post
from blog.tests.factories import PostFactory, image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def editor():
    return content_manager()


def log_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/$"))


def test_a_content_manager_writes_a_post_with_an_image(page, editor):
    log_in(page, editor)
    page.goto("/blog/")
    page.locator("a[href='/blog/new/']").click()
    page.fill("input[name=title]", "Весенняя рассылка")
    page.fill("textarea[name=body]", "## План\n\n- **скидки** для подписчиков\n- новые товары")
    page.set_input_files(
        "input[name=image]",
        {"name": "spring.png", "mimeType": "image/png", "buffer": image_bytes(1600, 900)},
    )
    page.check("input[name=is_published]")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/blog/\d+/$"))

    post = Post.objects.get()
    assert (post.title, post.author, post.is_published) == ("Весенняя рассылка", editor, True)
    assert page.locator("article h2").inner_text() == "План"
    assert page.locator(".post-body strong").inner_text() == "скидки"
    hero = page.locator("img.post-hero")
    assert hero.get_attribute("src") == post.image_display.url
    # The resized image really arrives from the media route and decodes.
    hero.scroll_into_view_if_needed()
    # expect() polls without eval, which the Content-Security-Policy forbids.
    expect(hero).to_have_js_property("complete", True)
    assert hero.evaluate("img => img.naturalWidth") == 1200

    # Visitors see it in the list with its card image.
    page.context.clear_cookies()
    page.goto("/blog/")
    card = page.locator(f"article[data-post-id='{post.pk}']")
    assert card.locator(".card-title").inner_text() == "Весенняя рассылка"
    card.locator("img").scroll_into_view_if_needed()
    expect(card.locator("img")).to_have_js_property("complete", True)
    assert card.locator("img").evaluate("img => img.naturalWidth") == 640


def test_a_readers_views_raise_the_count(page):
    post = PostFactory()

    def shown_views() -> int:
        page.goto(f"/blog/{post.pk}/")
        return int(re.match(r"\d+", page.locator("#post-views").inner_text()).group(0))

    assert shown_views() == 1
    assert shown_views() == 2
    page.reload()
    assert int(re.match(r"\d+", page.locator("#post-views").inner_text()).group(0)) == 3
    post.refresh_from_db()
    assert post.views == 3


def test_a_posts_script_does_not_run(page):
    post = PostFactory(
        title="Опасная запись",
        body=(
            "Текст <script>window.__xss=1</script>\n\n"
            '<img src=x onerror="window.__xss=1">\n\n'
            "[ссылка](javascript:window.__xss=1)"
        ),
    )
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    page.goto(f"/blog/{post.pk}/")
    # The javascript: URL lost its href: clicking the text goes nowhere.
    page.locator(".post-body a").click()
    page.goto("/")
    page.goto("/blog/")
    page.goto(f"/blog/{post.pk}/")
    assert page.locator(".post-body").inner_text().startswith("Текст")
    assert page.evaluate("window.__xss") is None
    assert errors == []
    # Not merely blocked by the Content-Security-Policy: the markup is not there at all.
    body = page.locator(".post-body")
    assert body.locator("script, [onerror], a[href^='javascript']").count() == 0
