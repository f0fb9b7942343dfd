"""The mailing page's live progress (JSON feed + include) and resending a run's failures."""

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory, manager
from mailings.models import Mailing
from mailings.tests.factories import mailing_to
from reports.progress import mailing_progress
from sending.claims import run_claim
from sending.holds import hold_record
from sending.models import Attempt, Delivery
from sending.passes import run_pass
from sending.services import attempt_resend

pytestmark = pytest.mark.django_db


def claim(mailing) -> Attempt:
    return run_claim(mailing=Mailing.objects.get(pk=mailing.pk), now=timezone.now())


def set_statuses(attempt, **counts):
    """Give the first rows of the run these statuses, e.g. sent=2, failed=1."""
    rows = iter(Delivery.objects.filter(attempt=attempt).order_by("pk"))
    for status, count in counts.items():
        for _ in range(count):
            row = next(rows)
            row.status = status
            row.tries = 1
            row.server_response = f"{status} reply"
            row.save()


def test_the_feed_counts_a_run_while_it_runs(signed_in, owner):
    mailing = mailing_to(10, owner=owner)
    attempt = claim(mailing)
    set_statuses(attempt, sent=4, failed=1, unknown=1, sending=2)
    data = signed_in.get(f"/mailings/{mailing.pk}/progress/").json()
    assert data["active"] is True
    assert data["attempt"]["status"] == "in_progress"
    assert {k: data["attempt"][k] for k in ("sent", "failed", "unknown", "pending", "total")} == {
        "sent": 4,
        "failed": 1,
        "unknown": 1,
        "pending": 4,  # two waiting and two in flight
        "total": 10,
    }
    assert data["attempt"]["percent"]["sent"] == 40.0
    assert data["attempt"]["resendable"] == 0  # not while it runs


def test_a_run_under_way_announces_no_next_run(owner):
    mailing = mailing_to(3, owner=owner)
    # The page read the mailing a moment before a worker claimed its run.
    as_the_page_read_it = Mailing.objects.get(pk=mailing.pk)
    claim(mailing)
    data = mailing_progress(mailing=as_the_page_read_it)
    assert data["attempt"]["status"] == "in_progress"
    assert (data["active"], data["waiting"]) == (True, False)


def test_the_feed_says_when_a_run_ends(signed_in, owner):
    mailing = mailing_to(3, owner=owner)
    run_pass()
    data = signed_in.get(f"/mailings/{mailing.pk}/progress/").json()
    assert data["active"] is False
    assert data["attempt"]["status"] == "success"
    assert (data["attempt"]["sent"], data["attempt"]["pending"]) == (3, 0)


def test_the_feed_tells_of_a_paused_server(signed_in, owner):
    mailing = mailing_to(3, owner=owner)
    claim(mailing)
    hold_record(reason="auth", server_response="535 5.7.8 Authentication credentials invalid")
    data = signed_in.get(f"/mailings/{mailing.pk}/progress/").json()
    assert data["hold"]["needs_operator"] is True
    assert data["hold"]["server_response"].startswith("535")


def test_managers_may_watch_and_strangers_may_not(client, owner):
    mailing = mailing_to(1, owner=owner)
    client.force_login(manager())
    assert client.get(f"/mailings/{mailing.pk}/progress/").status_code == 200
    client.force_login(UserFactory())
    assert client.get(f"/mailings/{mailing.pk}/progress/").status_code == 404
    client.logout()
    assert client.get(f"/mailings/{mailing.pk}/progress/").status_code == 302


def test_the_detail_page_shows_the_numbers_without_javascript(signed_in, owner):
    mailing = mailing_to(4, owner=owner)
    attempt = claim(mailing)
    set_statuses(attempt, sent=3)
    page = signed_in.get(f"/mailings/{mailing.pk}/").content.decode()
    assert 'id="mailing-progress"' in page
    assert 'data-active="true"' in page
    assert 'data-count="sent">3<' in page
    assert 'data-count="total">4<' in page
    assert "sending/progress.js" in page


def test_resending_touches_failed_rows_only(owner):
    mailing = mailing_to(6, owner=owner)
    attempt = claim(mailing)
    set_statuses(attempt, sent=3, failed=2, unknown=1)
    Attempt.objects.filter(pk=attempt.pk).update(status=Attempt.Status.FAILURE)
    sent_before = list(
        Delivery.objects.filter(status="sent").values_list("pk", "server_response", "tries")
    )

    assert attempt_resend(attempt=attempt) == 2
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS
    assert Delivery.objects.filter(status="pending", tries=0).count() == 2
    assert Delivery.objects.filter(status="unknown").count() == 1
    assert (
        list(Delivery.objects.filter(status="sent").values_list("pk", "server_response", "tries"))
        == sent_before
    )


def test_resending_may_include_the_unknown(owner, settings):
    mailing = mailing_to(6, owner=owner)
    attempt = claim(mailing)
    set_statuses(attempt, sent=3, failed=2, unknown=1)
    Attempt.objects.filter(pk=attempt.pk).update(status=Attempt.Status.FAILURE)
    assert attempt_resend(attempt=attempt, include_unknown=True) == 3
    run_pass()
    attempt.refresh_from_db()
    assert (attempt.status, attempt.sent_count, attempt.failed_count) == ("success", 6, 0)
    # Only the three resent rows went out now: the first three were sent "before".
    assert len(list(settings.EMAIL_OUTBOX_DIR.glob("*.eml"))) == 3


def test_a_run_with_nothing_to_resend_stays_closed(owner):
    mailing_to(2, owner=owner)
    run_pass()
    attempt = Attempt.objects.get()
    assert attempt_resend(attempt=attempt, include_unknown=True) == 0
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUCCESS


def test_the_resend_button_works_for_the_owner(signed_in, owner):
    mailing = mailing_to(3, owner=owner)
    attempt = claim(mailing)
    set_statuses(attempt, sent=1, failed=1, unknown=1)
    run_pass()
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.FAILURE
    page = signed_in.get(f"/mailings/{mailing.pk}/").content.decode()
    assert 'id="resend-form"' in page
    response = signed_in.submit(
        f"/attempts/{attempt.pk}/resend/", {}, form_url=f"/mailings/{mailing.pk}/"
    )
    assert response.status_code == 302
    assert response["Location"] == f"/mailings/{mailing.pk}/"
    assert Delivery.objects.filter(status="pending").count() == 1
    assert Delivery.objects.filter(status="unknown").count() == 1


def test_the_resend_button_can_take_the_unknown_along(signed_in, owner):
    mailing = mailing_to(3, owner=owner)
    attempt = claim(mailing)
    set_statuses(attempt, sent=1, failed=1, unknown=1)
    run_pass()
    signed_in.submit(
        f"/attempts/{attempt.pk}/resend/",
        {"include_unknown": "on"},
        form_url=f"/mailings/{mailing.pk}/",
    )
    assert Delivery.objects.filter(status="pending").count() == 2


@pytest.fixture
def failed_run(owner) -> Attempt:
    """A finished run of two recipients, both failed."""
    attempt = claim(mailing_to(2, owner=owner))
    set_statuses(attempt, failed=2)
    run_pass()
    return attempt


def test_resend_is_a_post_for_the_owner_only(client, owner, failed_run):
    attempt = failed_run
    url = f"/attempts/{attempt.pk}/resend/"
    client.force_login(owner)
    assert client.get(url).status_code == 405
    client.force_login(UserFactory())
    assert client.post(url).status_code == 404
    client.force_login(manager())
    assert client.post(url).status_code == 403
    assert Delivery.objects.filter(status="failed").count() == 2


def test_managers_see_progress_but_no_resend_form(client, failed_run):
    client.force_login(manager())
    page = client.get(f"/mailings/{failed_run.mailing_id}/").content.decode()
    assert 'id="mailing-progress"' in page
    assert 'id="resend-form"' not in page


def test_the_pause_banner_shows_on_every_page_for_signed_in_users(client, owner):
    hold_record(reason="auth", server_response="535 5.7.8 Authentication credentials invalid")
    client.force_login(owner)
    assert 'id="sending-paused"' in client.get("/").content.decode()
    assert "535 5.7.8" not in client.get("/").content.decode()  # the reply is for staff
    client.force_login(manager())
    assert "535 5.7.8" in client.get("/").content.decode()
    client.logout()
    assert 'id="sending-paused"' not in client.get("/").content.decode()
