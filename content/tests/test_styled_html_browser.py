"""In a browser: a designed newsletter's preview shows its design, and its media query
turns the two columns into one on the phone-wide frame."""

from pathlib import Path

import pytest

from accounts.tests.factories import PASSWORD, UserFactory
from content.markup import clean
from mailings.tests.factories import MessageFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEWSLETTER = (Path(__file__).parent / "fixtures" / "newsletter_tables.html").read_text()


def computed(frame, selector: str, property_name: str) -> str:
    return frame.locator(selector).first.evaluate(
        f"element => getComputedStyle(element).getPropertyValue('{property_name}')"
    )


def test_the_preview_shows_the_design_at_both_widths(page, live_server):
    user = UserFactory(email="designer@example.com")
    message = MessageFactory(owner=user, format="html", body=clean(NEWSLETTER).stored)

    page.goto("/accounts/login/")
    page.fill("input[name=login]", "designer@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"/messages/{message.pk}/preview/")

    desktop = page.frame_locator("iframe[data-preview=desktop]")
    mobile = page.frame_locator("iframe[data-preview=mobile]")
    for frame in (desktop, mobile):
        assert computed(frame, "td.header", "background-color") == "rgb(47, 93, 80)"
        assert computed(frame, "h1.headline", "font-family") == 'Georgia, "Times New Roman", serif'
        assert computed(frame, "span.price", "color") == "rgb(192, 57, 43)"
    # The media query (max-width: 620px) from the <style> block holds on the phone only.
    assert computed(desktop, "td.column", "display") == "table-cell"
    assert computed(mobile, "td.column", "display") == "block"
    assert computed(mobile, "table.container", "width") != "600px"
