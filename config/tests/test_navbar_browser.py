"""The navbar in a real browser: a user's and a manager's fit 1280 px with a long name
(nothing scrolls sideways), fold behind the toggler at 390 px, and the settings menu
holds every settings page."""

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory, manager
from audience.tests.factories import TagFactory
from mailings.tests.factories import ClientFactory, MailingFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_NAME = {"first_name": "Ольга-Александра", "last_name": "Цветочная-Лавочкина-Садовая"}
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def log_in(page, live_server, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


def assert_fits(page, paths) -> None:
    for path in paths:
        page.goto(path)
        assert page.evaluate(OVERFLOW) <= 0, f"{path} scrolls sideways"
        assert page.locator("#main-nav").is_visible()
        # The bar itself on one line: no item pushed below the brand.
        nav = page.locator("#site-nav").bounding_box()
        assert nav["height"] < 80, f"{path}: the navbar wraps ({nav['height']} px)"


def test_a_users_navbar_fits_1280_and_its_settings_menu_leads_everywhere(page, live_server):
    owner = UserFactory(email="olga.flowers.and.gifts.shop@example.com", **LONG_NAME)
    MailingFactory(owner=owner, clients=[ClientFactory(owner=owner)])
    TagFactory(owner=owner, name="vip")
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server, owner.email)

    assert_fits(page, ["/", "/mailings/", "/clients/", "/tags/", "/mailings/new/"])

    page.locator("#settings-menu").click()
    menu = page.locator("[aria-labelledby=settings-menu]")
    expect(menu).to_be_visible()
    hrefs = {link.get_attribute("href") for link in menu.locator("a").all()}
    assert hrefs == {
        "/accounts/profile/",
        "/senders/",
        "/domains/",
        "/brand/",
        "/relay/",
        "/accounts/api-tokens/",
        "/webhooks/",
    }
    menu.get_by_role("link", name="Вебхуки").click()
    page.wait_for_url("**/webhooks/")

    page.locator("#audience-menu").click()
    page.locator("[aria-labelledby=audience-menu]").get_by_role("link", name="Метки").click()
    page.wait_for_url("**/tags/")
    expect(page.locator("#tag-table")).to_contain_text("vip")


def test_a_managers_navbar_fits_1280(page, live_server):
    overseer = manager(email="chief.manager.of.everything@example.com", **LONG_NAME)
    MailingFactory()
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server, overseer.email)

    assert_fits(page, ["/", "/mailings/", "/manager/users/", "/tags/", "/reports/"])

    page.locator("#settings-menu").click()
    hrefs = {
        link.get_attribute("href")
        for link in page.locator("[aria-labelledby=settings-menu] a").all()
    }
    # No brand or relay of their own to change: a manager would only meet a 403 there.
    assert "/brand/" not in hrefs and "/relay/" not in hrefs
    assert {"/accounts/profile/", "/senders/", "/accounts/api-tokens/"} <= hrefs


def test_at_390_px_the_menu_folds_and_opens(page, live_server):
    owner = UserFactory(email="olga.flowers.and.gifts.shop@example.com", **LONG_NAME)
    page.set_viewport_size({"width": 390, "height": 800})
    log_in(page, live_server, owner.email)

    assert page.evaluate(OVERFLOW) <= 0
    assert not page.locator("#main-nav").is_visible()
    page.locator(".navbar-toggler").click()
    expect(page.locator("#settings-menu")).to_be_visible()
    page.locator("#settings-menu").click()
    expect(
        page.locator("[aria-labelledby=settings-menu]").get_by_role("link", name="Релей")
    ).to_be_visible()
    assert page.evaluate(OVERFLOW) <= 0


def test_send_now_hides_the_schedule_fields(page, live_server):
    owner = UserFactory(email="owner@example.com")
    MailingFactory(owner=owner, clients=[ClientFactory(owner=owner)])
    log_in(page, live_server, owner.email)
    page.goto("/mailings/new/")
    expect(page.locator("#schedule-fields")).to_be_visible()
    page.locator("input[name=when][value=now]").check()
    expect(page.locator("#schedule-fields")).to_be_hidden()
    page.locator("input[name=when][value=schedule]").check()
    expect(page.locator("input[name=start_at]")).to_be_visible()
