"""One truth on the mailing page: the header, the progress card, the runs table and the
JSON feed the page polls say the same state and the same counts, read from the run's
ledger, while a real run goes through a real SMTP server that refuses one recipient for
good (550) and greylists another (451)."""

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.factories import UserFactory
from mailings.lifecycle import enqueue_run
from mailings.models import Mailing
from mailings.tests.factories import MailingFactory, mailing_to
from reports.progress import State, mailing_progress
from senders.models import Relay
from sending.claims import run_claim
from sending.holds import hold_record
from sending.models import Attempt, Delivery
from sending.passes import run_pass
from sending.services import attempt_pause_for_feedback
from sending.tests.smtpd import SmtpServer

pytestmark = pytest.mark.django_db

ZONE = "Europe/Moscow"
NOON = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
REFUSED, GREYLISTED = "reader1@example.org", "reader3@example.org"


@pytest.fixture
def owner():
    return UserFactory(time_zone=ZONE)


@pytest.fixture
def smtp_server(settings):
    """A healthy server over one connection; retries are minutes apart, as in production."""
    settings.SEND_RATE = 0
    settings.SMTP_CONNECTIONS = 1
    settings.SMTP_TIMEOUT = 5
    settings.SEND_RETRY_BACKOFF = 600
    settings.SEND_RETRY_BACKOFF_MAX = 3600
    server = SmtpServer().start()
    settings.EMAIL_URL = server.url
    yield server
    server.stop()


def local(moment: datetime) -> str:
    """A moment as the Russian pages and the feed write it in the owner's zone."""
    return f"{timezone.localtime(moment, zoneinfo.ZoneInfo(ZONE)):%d.%m.%Y %H:%M}"


def counts_in(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-count="(\w+)">([^<]*)<', html))


class Page:
    """The parts of the mailing page that speak about its state."""

    def __init__(self, html: str, attempt_id: int | None = None):
        self.html = html
        header = re.search(r'id="mailing-state" data-state="(\w+)"', html)
        self.state = header.group(1)
        card = html[html.index('id="mailing-progress"') : html.index("</section>")]
        self.card = card
        self.card_state = re.search(r'data-state="(\w+)"', card).group(1)
        run_badge = re.search(r'data-run-state="(\w+)">([^<]*)<', card)
        self.card_run_state = run_badge.group(1) if run_badge else None
        self.card_counts = counts_in(card)
        self.row_counts, self.row_state = {}, None
        if attempt_id is not None:
            row = re.search(rf'<tr data-attempt="{attempt_id}">(.*?)</tr>', html, re.S).group(1)
            self.row_counts = counts_in(row)
            self.row_state = re.search(r'data-run-state="(\w+)"', row).group(1)


def look(client, mailing) -> tuple[dict, Page]:
    """The feed and the page, read at the same moment."""
    feed = client.get(f"/mailings/{mailing.pk}/progress/").json()
    attempt_id = feed["attempt"]["id"] if feed["attempt"] else None
    page = Page(client.get(f"/mailings/{mailing.pk}/").content.decode(), attempt_id)
    return feed, page


def assert_one_truth(feed: dict, page: Page) -> None:
    assert page.state == page.card_state == feed["state"]
    run = feed["attempt"]
    if run is None:
        return
    assert page.card_run_state == page.row_state == run["state"]
    shown = {name: str(run[name]) for name in ("sent", "failed", "unknown", "pending", "total")}
    assert page.card_counts == shown
    assert page.row_counts == {name: shown[name] for name in ("sent", "failed", "unknown")}


@pytest.mark.slow
def test_a_550_and_a_451_read_alike_everywhere_with_the_next_try(client, owner, smtp_server):
    smtp_server.faults.rcpt_replies = {
        REFUSED: "550 5.1.1 No such user",
        GREYLISTED: "451 4.7.1 Greylisted, please try again later",
    }
    client.force_login(owner)
    with time_machine.travel(NOON, tick=False) as clock:
        mailing = mailing_to(5, owner=owner)
        feed, page = look(client, mailing)
        assert feed["state"] == State.WAITING  # due, no worker has taken it yet
        assert_one_truth(feed, page)

        run_pass()
        attempt = Attempt.objects.get()
        assert attempt.status == Attempt.Status.IN_PROGRESS
        greylisted = Delivery.objects.get(email=GREYLISTED)
        assert greylisted.next_try_at > timezone.now()

        feed, page = look(client, mailing)
        assert feed["state"] == State.RETRYING
        assert feed["active"] is True
        run = feed["attempt"]
        assert (run["sent"], run["failed"], run["unknown"], run["pending"], run["total"]) == (
            3,
            1,
            0,
            1,
            5,
        )
        assert run["retrying"] == 1
        assert_one_truth(feed, page)
        # The greylisted recipient and when it is tried again, in the feed and on the page.
        retry_at = local(greylisted.next_try_at)
        assert run["next_retry_at"] == retry_at
        assert run["retries"] == [
            {
                "email": GREYLISTED,
                "next_try_at": retry_at,
                "server_response": "451 4.7.1 Greylisted, please try again later",
            }
        ]
        assert f'data-field="next_retry_at">{retry_at}<' in page.card
        assert f'data-retry="{GREYLISTED}"' in page.card
        assert f'data-field="retry_at">{retry_at}<' in page.card
        # The run's own page says the same of that recipient.
        run_page = client.get(f"/mailings/{mailing.pk}/runs/{attempt.pk}/").content.decode()
        assert f'id="run-state" data-run-state="{State.RETRYING}"' in run_page
        assert f"следующая попытка {retry_at}" in run_page

        # The server takes it on the next try: the run ends with the 550 as its one failure.
        smtp_server.faults.rcpt_replies = {REFUSED: "550 5.1.1 No such user"}
        clock.move_to(greylisted.next_try_at + timedelta(seconds=1))
        run_pass()
        feed, page = look(client, mailing)
        assert feed["state"] == State.FAILED
        assert feed["active"] is False
        run = feed["attempt"]
        assert (run["sent"], run["failed"], run["pending"], run["total"]) == (4, 1, 0, 5)
        assert run["next_retry_at"] == "" and run["retries"] == []
        assert_one_truth(feed, page)
        assert 'id="resend-form"' in page.html
    assert smtp_server.copies()[GREYLISTED] == 1


def test_sending_counts_move_from_the_ledger_in_card_and_table_alike(signed_in, owner):
    mailing = mailing_to(6, owner=owner)
    attempt = run_claim(mailing=Mailing.objects.get(pk=mailing.pk), now=timezone.now())
    rows = list(Delivery.objects.filter(attempt=attempt).order_by("pk"))
    Delivery.objects.filter(pk__in=[r.pk for r in rows[:2]]).update(status="sent")
    Delivery.objects.filter(pk=rows[2].pk).update(status="sending")
    feed, page = look(signed_in, mailing)
    assert feed["state"] == State.SENDING
    assert (feed["attempt"]["sent"], feed["attempt"]["pending"]) == (2, 4)
    assert_one_truth(feed, page)
    # No stale word of a run that never started, nor of a worker still awaited.
    assert "Рассылка ещё ни разу не запускалась" not in page.html
    assert "ждёт обработчика" not in page.html


def test_send_now_waits_for_a_worker_and_says_since_when(signed_in, owner):
    with time_machine.travel(NOON, tick=False):
        mailing = MailingFactory(
            owner=owner,
            start_at=NOON + timedelta(days=1),
            periodicity=Mailing.Periodicity.DAILY,
            end_at=NOON + timedelta(days=9),
            next_run_at=NOON + timedelta(days=1),
        )
        assert mailing_progress(mailing=mailing)["state"] == State.SCHEDULED
        assert enqueue_run(mailing=mailing)
        feed, page = look(signed_in, Mailing.objects.get(pk=mailing.pk))
    assert feed["state"] == State.WAITING
    assert feed["state_detail"] == f"Запуск запрошен в {local(NOON)} и ждёт обработчика."
    assert_one_truth(feed, page)
    assert 'data-state="waiting" data-status="running">Ждёт обработчика<' in page.html
    assert page.html.count(feed["state_detail"]) == 1  # said once, in the card


def test_a_scheduled_mailing_says_when_and_is_asked_again_when_due(owner):
    with time_machine.travel(NOON, tick=False):
        mailing = MailingFactory(
            owner=owner,
            start_at=NOON + timedelta(minutes=5),
            next_run_at=NOON + timedelta(minutes=5),
        )
        data = mailing_progress(mailing=mailing)
    assert (data["state"], data["active"], data["due_in"]) == (State.SCHEDULED, False, 300)
    assert local(NOON + timedelta(minutes=5)) in data["state_detail"]


@pytest.mark.parametrize("cause", ["server", "relay", "bounces", "blocked"])
def test_a_stopped_run_reads_paused(owner, cause):
    mailing = mailing_to(2, owner=owner)
    attempt = run_claim(mailing=Mailing.objects.get(pk=mailing.pk), now=timezone.now())
    if cause == "relay":
        relay = Relay(
            owner=owner,
            hold_reason=Relay.Hold.AUTH,
            hold_reply="535 5.7.8 Authentication credentials invalid",
            held_until=timezone.now() + timedelta(minutes=5),
        )
        relay.set_url("smtp://shop:secret@relay.example.net:587", "relay.example.net:587")
        relay.save()
    elif cause == "server":
        hold_record(reason="auth", server_response="535 5.7.8 Authentication credentials invalid")
    elif cause == "bounces":
        attempt_pause_for_feedback(attempt_id=attempt.pk, reason="5 of 10 bounced")
    else:
        owner.is_active = False
        owner.save()
    data = mailing_progress(mailing=Mailing.objects.select_related("owner").get(pk=mailing.pk))
    assert data["state"] == data["attempt"]["state"] == State.PAUSED
    assert data["active"] is True
    if cause in ("server", "relay"):
        assert data["hold"]["needs_operator"] is True
        assert data["hold"]["relay"] is (cause == "relay")


def test_a_held_relay_is_its_owners_alone_to_fix(signed_in, owner):
    """The platform's pause says "every mailing"; the owner's own relay's says theirs."""
    relay = Relay(
        owner=owner, hold_reason=Relay.Hold.AUTH, held_until=timezone.now() + timedelta(minutes=5)
    )
    relay.set_url("smtp://shop:secret@relay.example.net:587", "relay.example.net:587")
    relay.save()
    mailing = mailing_to(2, owner=owner)
    run_claim(mailing=Mailing.objects.get(pk=mailing.pk), now=timezone.now())
    feed, page = look(signed_in, mailing)
    assert_one_truth(feed, page)
    assert "Ваши рассылки ждут" in page.card and "для всех рассылок" not in page.card


def test_a_blocked_owners_finished_mailing_still_reads_sent(owner):
    mailing = mailing_to(1, owner=owner)
    run_pass()
    owner.is_active = False
    owner.save()
    data = mailing_progress(mailing=Mailing.objects.select_related("owner").get(pk=mailing.pk))
    assert data["state"] == State.FINISHED


@pytest.mark.parametrize(
    ("status", "state"),
    [(Mailing.Status.DRAFT, State.DRAFT), (Mailing.Status.DISABLED, State.DISABLED)],
)
def test_drafts_and_disabled_mailings_say_so(signed_in, owner, status, state):
    mailing = MailingFactory(owner=owner, status=status, next_run_at=None)
    feed, page = look(signed_in, mailing)
    assert feed["state"] == page.state == state
    assert feed["active"] is False


def test_a_resent_earlier_run_is_the_current_one(owner):
    """A resend reopens an older run: the page follows it, not the latest one."""
    mailing = mailing_to(2, owner=owner)
    older = run_claim(mailing=Mailing.objects.get(pk=mailing.pk), now=timezone.now())
    Delivery.objects.filter(attempt=older).update(status="failed")
    Attempt.objects.filter(pk=older.pk).update(status=Attempt.Status.FAILURE)
    Attempt.objects.create(
        mailing=mailing,
        started_at=timezone.now() + timedelta(minutes=1),
        status=Attempt.Status.SUCCESS,
        trigger=Attempt.Trigger.MANUAL,
    )
    Attempt.objects.filter(pk=older.pk).update(status=Attempt.Status.IN_PROGRESS)
    Delivery.objects.filter(attempt=older).update(status="pending")
    data = mailing_progress(mailing=Mailing.objects.select_related("owner").get(pk=mailing.pk))
    assert data["attempt"]["id"] == older.pk
    assert data["state"] == State.SENDING
