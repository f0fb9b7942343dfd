"""In a browser: write a rich message, preview it as a client at both widths (nothing in
it runs), send oneself a test and see it reach the SMTP server."""

import email
import email.policy

import pytest
from django.utils import timezone

from accounts.tests.factories import PASSWORD, UserFactory
from content.models import Message
from mailings.tests.factories import ClientFactory
from senders.tests.factories import SenderFactory
from sending.mail_queue import queued_emails_send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = (
    "# Здравствуйте, {{ full_name }}!\n\n"
    "- новые курсы\n- скидки\n\n"
    "[Расписание](https://example.com/autumn){.button}\n\n"
    '<img src="x" onerror="parent.document.title=\'pwned\'">'
    "<script>parent.document.title='pwned'</script>"
)


def test_write_preview_and_test_send_a_rich_message(page, live_server, smtp_server, settings):
    settings.EMAIL_BACKEND = "sending.mail_queue.QueuedEmailBackend"
    user = UserFactory(email="owner@example.com")
    client = ClientFactory(owner=user, email="vera@example.org", full_name="Вера <Орлова>")
    SenderFactory(
        owner=user, email="news@owner.example", is_default=True, confirmed_at=timezone.now()
    )

    page.goto("/accounts/login/")
    page.fill("input[name=login]", "owner@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto("/messages/new/")
    page.fill("input[name=subject]", "Осень для {{ full_name }}")
    page.select_option("select[name=format]", "markdown")
    page.fill("textarea[name=body]", BODY)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/messages/*/")
    message = Message.objects.get()
    assert message.format == "markdown"

    page.get_by_role("link", name="Предпросмотр").click()
    page.wait_for_url(f"**/messages/{message.pk}/preview/")
    # A search, not a list of every client: a match is a link to the preview as them.
    page.fill("input[name=q]", "вера")
    page.get_by_role("button", name="Показать").click()
    page.locator("#preview-matches").get_by_role("link", name="Вера <Орлова>").click()
    page.wait_for_url(f"**/preview/?client={client.pk}")
    assert page.locator("#preview-subject").inner_text() == "Осень для Вера <Орлова>"
    assert "Здравствуйте, Вера <Орлова>!" in page.locator("#preview-text").inner_text()

    for width in ("desktop", "mobile"):
        frame = page.frame_locator(f"iframe[data-preview={width}]")
        assert frame.locator("h1").inner_text() == "Здравствуйте, Вера <Орлова>!"
        assert frame.locator("a.button").inner_text() == "Расписание"
    # At 320 px the button stays inside the frame: nothing forces a wider layout.
    mobile = page.locator("iframe[data-preview=mobile]").bounding_box()
    button = page.frame_locator("iframe[data-preview=mobile]").locator("a.button").bounding_box()
    assert button["x"] + button["width"] <= mobile["x"] + mobile["width"]
    assert page.title() != "pwned"

    page.select_option("select[name=to]", "owner@example.com")
    page.get_by_role("button", name="Отправить тест").click()
    # Back to the preview as it was: the same client.
    page.wait_for_url(f"**/messages/{message.pk}/preview/?client={client.pk}")
    assert "owner@example.com" in page.locator(".alert-success").inner_text()
    assert "Вера <Орлова>" in page.locator("#preview-recipient").inner_text()
    assert queued_emails_send() == 1
    ((_rcpt, data),) = smtp_server.handler.messages
    received = email.message_from_bytes(data, policy=email.policy.default)
    # The client's email, from the user's default sender (SPEC §7 "Test send as a client").
    assert received["Subject"] == "[Тест] Осень для Вера <Орлова>"
    assert received["From"].addresses[0].addr_spec == "news@owner.example"
    assert "Расписание" in received.get_body(("html",)).get_content()
