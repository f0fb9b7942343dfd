"""The relay form in a real browser, in Russian: checked before saving, a relay that does
not connect saved only after "save anyway", the password typed once, no console error."""

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD as LOGIN_PASSWORD
from accounts.tests.factories import UserFactory
from senders.models import Relay
from senders.relays import relay_smtp_settings
from sending.tests.smtpd import SmtpServer, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

USER = "shop@shop.example"
PASSWORD = "p@ss/wo:rd%41"


@pytest.fixture
def own(settings):
    settings.RELAY_ALLOW_PRIVATE = True  # the test server is on loopback
    server = SmtpServer(users={USER: PASSWORD}).start()
    yield server
    server.stop()


def test_a_relay_is_checked_then_saved_and_one_that_does_not_connect_asks_first(
    page, live_server, own
):
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    UserFactory(email="owner@example.com")
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "owner@example.com")
    page.fill("input[name=password]", LOGIN_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")

    closed = free_port()
    page.goto("/relay/")
    page.fill("input[name=host]", "127.0.0.1")
    page.fill("input[name=port]", str(closed))
    page.select_option("select[name=security]", "none")
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.locator("#relay-form button[type=submit]").first.click()
    expect(page.locator("#relay-confirm")).to_contain_text(
        f"127.0.0.1 отклонил соединение на порту {closed}"
    )
    assert not Relay.objects.exists()

    # Corrected: checked without saving, then saved; the password was typed only once.
    page.fill("input[name=port]", str(own.port))
    page.locator("#relay-check").click()
    expect(page.locator("#relay-check-ok")).to_contain_text("Релей ответил: 250")
    assert not Relay.objects.exists()
    page.locator("#relay-form button[type=submit]").first.click()
    expect(page.locator("#relay-saved")).to_contain_text(f"smtp://{USER}@127.0.0.1:{own.port}")
    assert relay_smtp_settings(Relay.objects.get(), timeout=2).password == PASSWORD
    assert page.locator("input[name=password]").input_value() == ""  # never shown again
    assert not errors
