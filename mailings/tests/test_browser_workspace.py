import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from mailings.models import Mailing
from mailings.tests.factories import ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_user_creates_a_client_a_message_and_a_mailing_and_finds_them(page, live_server):
    user = UserFactory(email="owner@example.com")
    # Others in the list, so that the picker's search has something to leave out.
    ClientFactory(owner=user, email="other.one@example.org", full_name="Пётр Другой")
    ClientFactory(owner=user, email="other.two@example.org", full_name="Вера Третья")

    page.goto("/accounts/login/")
    page.fill("input[name=login]", "owner@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto("/clients/new/")
    page.fill("input[name=email]", "svetlana@example.org")
    page.fill("input[name=full_name]", "Светлана Орлова")
    page.fill("textarea[name=comment]", "с выставки")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/clients/*/")
    assert page.locator(".alert-success").count() == 1
    page.goto("/clients/")
    assert page.locator("#client-table").get_by_text("svetlana@example.org").count() == 1

    page.goto("/messages/new/")
    page.fill("input[name=subject]", "Осенние новости")
    page.fill("textarea[name=body]", "Здравствуйте, {{ full_name }}!")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/messages/*/")
    page.goto("/messages/")
    assert page.locator("#message-table").get_by_text("Осенние новости").count() == 1

    page.goto("/mailings/new/")
    page.select_option("select[name=message]", label="Осенние новости")
    page.fill("input[name=start_at]", "2031-01-10T09:00")
    page.fill("input[name=end_at]", "2031-03-10T09:00")
    page.select_option("select[name=periodicity]", "weekly")
    assert page.locator("select[name=clients] option").count() == 0
    page.fill("[data-picker-search]", "светлана")
    found = page.locator("[data-picker-results] button")
    found.first.wait_for()
    assert found.count() == 1
    found.first.click()
    assert page.locator("select[name=clients] option:checked").count() == 1
    expect(page.locator("#recipient-preview")).to_have_text("1")
    page.locator("#mailing-form button[type=submit]").click()
    page.wait_for_url("**/mailings/*/")
    assert page.locator("#recipient-count").inner_text() == "1"

    mailing = Mailing.objects.get()
    assert [c.email for c in mailing.clients.all()] == ["svetlana@example.org"]
    page.goto("/mailings/")
    row = page.locator("#mailing-table tbody tr", has_text="Осенние новости")
    assert row.count() == 1
    assert row.locator("td").last.inner_text() == "1"
    # Shown in the user's time zone (Moscow), as entered.
    assert "10.01.2031 09:00" in row.inner_text()
