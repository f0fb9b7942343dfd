"""The run and report tables fit a 1280 px desktop: no table scrolls sideways there (on a
phone they may; the layout keeps what matters and hides the rest)."""

import pytest
from django.utils import timezone

from accounts.tests.factories import PASSWORD, UserFactory, manager
from mailings.models import Mailing
from mailings.tests.factories import mailing_to
from sending.models import Attempt, Delivery
from sending.passes import run_pass

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIDEWAYS = """[...document.querySelectorAll('.table-responsive, table')]
    .filter(e => e.scrollWidth > e.clientWidth + 1)
    .map(e => (e.id || e.className) + ': ' + e.scrollWidth + ' > ' + e.clientWidth)"""


def test_no_run_or_report_table_scrolls_sideways_at_1280(page, live_server, browser_guard):
    owner = UserFactory(email="olga.smirnova.flowers@tsvety-olgi.example.com")
    mailing = mailing_to(3, owner=owner)
    Mailing.objects.filter(pk=mailing.pk).update(
        name="Весенняя распродажа тюльпанов и пионов для постоянных покупателей"
    )
    run_pass(now=timezone.now())
    Delivery.objects.filter(attempt__mailing=mailing).update(
        status="failed",
        server_response="550 5.1.1 <someone.with.a.long.address@example.org>: Recipient "
        "address rejected: User unknown in virtual mailbox table",
    )
    attempt = Attempt.objects.get()
    Attempt.objects.filter(pk=attempt.pk).update(
        status=Attempt.Status.FAILURE,
        finished_at=timezone.now(),
        failed_count=3,
        server_response="451 4.7.1 Greylisted, please try again in 300 seconds (see "
        "https://postmaster.example.org/greylisting)",
    )
    manager(email="manager@example.com")
    page.set_viewport_size({"width": 1280, "height": 800})
    # The owner, and a manager, whose tables have the owner's column too.
    for email in (owner.email, "manager@example.com"):
        page.context.clear_cookies()
        page.goto("/accounts/login/")
        page.fill("input[name=login]", email)
        page.fill("input[name=password]", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(f"{live_server.url}/")
        run_page = f"/mailings/{mailing.pk}/runs/{attempt.pk}/"
        for path in ("/reports/", f"/mailings/{mailing.pk}/", run_page):
            page.goto(path)
            assert page.evaluate(SIDEWAYS) == [], (email, path)
