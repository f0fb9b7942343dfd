"""The segment editor in a browser: rows added by the page's own script (CSP-clean),
the live count as the rules change, and the count on the saved segment's page."""

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from audience.models import Segment, Tag
from mailings.tests.factories import ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_segment_is_built_with_a_live_count(page, live_server):
    user = UserFactory(email="owner@example.com")
    for city in ("Казань", "Казань", "Москва"):
        ClientFactory(owner=user, attributes={"city": city})
    vip = Tag.objects.create(owner=user, name="vip")
    vip.clients.add(ClientFactory(owner=user, attributes={"city": "Казань"}))

    page.goto("/accounts/login/")
    page.fill("input[name=login]", "owner@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto("/segments/new/")
    page.fill("input[name=name]", "Казанские VIP")
    page.select_option("select[name=rules-0-field]", "attributes.city")
    page.select_option("select[name=rules-0-op]", "equals")
    page.fill("input[name=rules-0-value]", "казань")
    expect(page.locator("#segment-live-count")).to_have_text("3")
    # "Is filled in" asks for no value; "is" asks for the text again.
    page.select_option("select[name=rules-0-op]", "is_set")
    expect(page.locator("[name=rules-0-value]")).to_have_attribute("type", "hidden")
    expect(page.locator("#segment-live-count")).to_have_text("4")
    page.select_option("select[name=rules-0-op]", "equals")
    page.fill("input[name=rules-0-value]", "казань")
    expect(page.locator("#segment-live-count")).to_have_text("3")

    page.locator("[data-add-rule]").click()
    page.select_option("select[name=rules-1-field]", "tag")
    # The tag's own operators, and its value a select of the owner's tags.
    expect(page.locator("select[name=rules-1-op] option")).to_have_text(["есть", "нет"])
    page.select_option("select[name=rules-1-op]", "has")
    page.select_option("select[name=rules-1-value]", "vip")
    expect(page.locator("#segment-live-count")).to_have_text("1")
    page.select_option("select[name=rules-1-field]", "status")
    expect(page.locator("select[name=rules-1-value] option[value=active]")).to_have_text("Активен")
    page.select_option("select[name=rules-1-field]", "tag")
    page.select_option("select[name=rules-1-value]", "vip")
    expect(page.locator("#segment-live-count")).to_have_text("1")

    page.locator("input[name=name]").press("Enter")  # saves, adds no row
    page.wait_for_url("**/segments/*/")
    expect(page.locator("#segment-count")).to_have_text("1")
    assert len(Segment.objects.get().rules) == 2
