"""The live progress in a real browser: numbers change without a reload while the run
goes on; when it ends the page shows the final state and the resend form."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from mailings.models import Mailing
from mailings.tests.factories import mailing_to
from sending.claims import run_claim
from sending.models import Attempt, Delivery
from sending.runs import attempt_finish_if_done

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_counts_move_while_the_run_goes_on(page, live_server):
    owner = UserFactory(email="owner@example.com")
    mailing = mailing_to(5, owner=owner)
    attempt = run_claim(mailing=Mailing.objects.get(pk=mailing.pk), now=timezone.now())

    page.goto("/accounts/login/")
    page.fill("input[name=login]", "owner@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"/mailings/{mailing.pk}/")
    assert page.locator('[data-count="sent"]').inner_text() == "0"
    page.evaluate("window.stillTheSamePage = true")

    rows = list(Delivery.objects.filter(attempt=attempt).order_by("pk"))
    Delivery.objects.filter(pk__in=[r.pk for r in rows[:3]]).update(status="sent")
    expect(page.locator('[data-count="sent"]')).to_have_text("3", timeout=8000)
    assert page.locator('[data-count="pending"]').inner_text() == "2"
    assert page.evaluate("window.stillTheSamePage") is True  # updated without a reload

    Delivery.objects.filter(pk__in=[r.pk for r in rows[3:]]).update(
        status="failed", server_response="550 5.1.1 User unknown"
    )
    attempt_finish_if_done(attempt_id=attempt.pk)
    assert Attempt.objects.get().status == Attempt.Status.FAILURE
    # The run ended: the page comes back as the server renders it, with the resend form.
    page.locator("#resend-form").wait_for(timeout=8000)
    assert page.locator('[data-count="failed"]').inner_text() == "2"
    page.locator("#resend-form button[type=submit]").click()
    page.wait_for_url(f"**/mailings/{mailing.pk}/")
    assert Delivery.objects.filter(status="pending").count() == 2
