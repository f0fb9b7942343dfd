"""The live progress in a real browser: numbers change without a reload while the run
goes on; when it ends the page shows the final state and the resend form. No mailing
page, whatever its state, writes an error to the console or asks for what is not there."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from mailings.models import Mailing
from mailings.tests.factories import MailingFactory, mailing_to
from sending.claims import run_claim
from sending.models import Attempt, Delivery
from sending.passes import run_pass
from sending.runs import attempt_finish_if_done

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


def test_the_counts_move_while_the_run_goes_on(page, live_server, browser_guard):
    owner = UserFactory(email="owner@example.com")
    mailing = mailing_to(5, owner=owner)
    attempt = run_claim(mailing=Mailing.objects.get(pk=mailing.pk), now=timezone.now())
    sign_in(page, live_server, "owner@example.com")

    page.goto(f"/mailings/{mailing.pk}/")
    assert page.locator('#mailing-progress [data-count="sent"]').inner_text() == "0"
    page.evaluate("window.stillTheSamePage = true")

    rows = list(Delivery.objects.filter(attempt=attempt).order_by("pk"))
    Delivery.objects.filter(pk__in=[r.pk for r in rows[:3]]).update(status="sent")
    expect(page.locator('#mailing-progress [data-count="sent"]')).to_have_text("3", timeout=8000)
    assert page.locator('#mailing-progress [data-count="pending"]').inner_text() == "2"
    # The runs table moves with the card.
    row = page.locator(f'#attempt-table tr[data-attempt="{attempt.pk}"]')
    expect(row.locator('[data-count="sent"]')).to_have_text("3")
    assert page.evaluate("window.stillTheSamePage") is True  # updated without a reload

    Delivery.objects.filter(pk__in=[r.pk for r in rows[3:]]).update(
        status="failed", server_response="550 5.1.1 User unknown"
    )
    attempt_finish_if_done(attempt_id=attempt.pk)
    assert Attempt.objects.get().status == Attempt.Status.FAILURE
    # The run ended: the page comes back as the server renders it, with the resend form.
    page.locator("#resend-form").wait_for(timeout=8000)
    assert page.locator('#mailing-progress [data-count="failed"]').inner_text() == "2"
    assert row.locator('[data-count="failed"]').inner_text() == "2"
    assert page.locator("#mailing-state").get_attribute("data-state") == "failed"
    page.locator("#resend-form button[type=submit]").click()
    page.wait_for_url(f"**/mailings/{mailing.pk}/")
    assert Delivery.objects.filter(status="pending").count() == 2
    browser_guard.assert_clean()


def test_a_greylisted_recipient_shows_when_it_is_tried_again(page, live_server, browser_guard):
    """Sending turns to retrying when only a 451 is left: the page shows it by itself."""
    owner = UserFactory(email="owner@example.com")
    mailing = mailing_to(2, owner=owner)
    attempt = run_claim(mailing=Mailing.objects.get(pk=mailing.pk), now=timezone.now())
    sign_in(page, live_server, "owner@example.com")
    page.goto(f"/mailings/{mailing.pk}/")
    expect(page.locator("#mailing-state")).to_have_attribute("data-state", "sending")

    first, second = Delivery.objects.filter(attempt=attempt).order_by("pk")
    Delivery.objects.filter(pk=first.pk).update(status="sent", tries=1)
    retry_at = timezone.now() + timedelta(minutes=10)
    Delivery.objects.filter(pk=second.pk).update(
        tries=1, next_try_at=retry_at, server_response="451 4.7.1 Greylisted"
    )
    expect(page.locator("#mailing-state")).to_have_attribute("data-state", "retrying", timeout=8000)
    expect(page.locator(f'[data-retry="{second.email}"] [data-field="retry_at"]')).to_have_text(
        f"{timezone.localtime(retry_at, ZoneInfo(owner.time_zone)):%d.%m.%Y %H:%M}"
    )
    browser_guard.assert_clean()


@pytest.mark.parametrize("state", ["scheduled", "waiting", "finished", "draft"])
def test_a_mailing_page_is_clean_in_every_state(page, live_server, browser_guard, state):
    """Its scripts run (the progress card, the workspace's), ask for nothing missing and
    throw nothing, whatever the mailing is doing."""
    owner = UserFactory(email="owner@example.com")
    if state == "scheduled":
        later = timezone.now() + timedelta(minutes=30)
        mailing = MailingFactory(owner=owner, start_at=later, next_run_at=later)
    elif state == "draft":
        mailing = MailingFactory(owner=owner, status=Mailing.Status.DRAFT, next_run_at=None)
    else:
        mailing = mailing_to(2, owner=owner)
        if state == "finished":
            run_pass()
    sign_in(page, live_server, "owner@example.com")
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"/mailings/{mailing.pk}/")
    expect(page.locator("#mailing-state")).to_have_attribute("data-state", state)
    if state == "waiting":
        # The card asks the feed what changed; nobody sends here, so nothing does.
        with page.expect_response(lambda response: "/progress/" in response.url, timeout=8000):
            pass
    page.wait_for_load_state("networkidle")
    assert not [url for url in asked if "undefined" in url]
    browser_guard.assert_clean()
