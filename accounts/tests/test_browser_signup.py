import re

import pytest
from django.core import mail

from accounts.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_signs_up_confirms_logs_in_and_switches_language(page, live_server):
    page.goto("/accounts/signup/")
    # Russian is the default language.
    assert page.locator("html").get_attribute("lang") == "ru"
    page.fill("input[name=email]", "browser@example.com")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/confirm-email/")

    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/login/")

    page.fill("input[name=login]", "browser@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("nav").get_by_text("browser@example.com").count() == 1

    page.locator("#language-switcher button[data-lang=en]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("nav").get_by_role("link", name="Mailings").count() == 1
    assert page.locator("footer").get_by_text("Language").count() == 1
    page.locator("#language-switcher button[data-lang=ru]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("footer").get_by_text("Язык").count() == 1
