"""Machines apart from people: probes, scanners, proxies and prefetches are kept but out
of the human figures, and a person who comes after a scanner still counts."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from mailings.tests.factories import ClientFactory, DueMailingFactory, MessageFactory
from sending.models import Attempt
from tracking.events import hits_fold
from tracking.machines import agent_is_machine
from tracking.models import Click, Open

from .helpers import BODY, parts_of, send, tracked

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
SCANNERS = [
    "Barracuda Sentinel (EE)",
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
    "python-requests/2.32.3",
    "Mozilla/5.0",  # Apple Mail Privacy Protection
    "",
]


@pytest.fixture
def sent(owner, smtp_server):
    message = MessageFactory(owner=owner, body=BODY, format="markdown")
    mailing = DueMailingFactory(
        owner=owner, message=message, clients=[ClientFactory(owner=owner)], tracking="recipient"
    )
    html, _text = parts_of(send(mailing, smtp_server)[0])
    return Attempt.objects.get(mailing=mailing), tracked(html)[0], tracked(html, "o")[0]


def at(minutes: float):
    return time_machine.travel(timezone.now() + dt.timedelta(minutes=minutes), tick=False)


@pytest.mark.parametrize("agent", SCANNERS)
def test_known_agents_are_machines(agent):
    assert agent_is_machine(agent)


def test_a_browser_is_not(client):
    assert not agent_is_machine(BROWSER)


@pytest.mark.parametrize("agent", SCANNERS)
def test_a_scanner_is_followed_but_counted_apart(client, sent, agent):
    attempt, link, pixel = sent
    with at(10):
        assert client.get(link, HTTP_USER_AGENT=agent).status_code == 302
        assert client.get(pixel, HTTP_USER_AGENT=agent).status_code == 200
    hits_fold()
    attempt.refresh_from_db()
    assert (attempt.click_count, attempt.open_count) == (0, 0)
    assert (attempt.machine_click_count, attempt.machine_open_count) == (1, 1)


def test_a_head_request_is_a_machine(client, sent):
    attempt, link, _pixel = sent
    with at(10):
        assert client.head(link, HTTP_USER_AGENT=BROWSER).status_code == 302
    hits_fold()
    attempt.refresh_from_db()
    assert (attempt.click_count, attempt.machine_click_count) == (0, 1)


def test_a_click_seconds_after_delivery_is_a_machine_then_the_person_counts(client, sent):
    attempt, link, _pixel = sent
    client.get(link, HTTP_USER_AGENT=BROWSER)  # at once: a gateway with a browser's agent
    hits_fold()
    attempt.refresh_from_db()
    assert (attempt.click_count, attempt.machine_click_count) == (0, 1)
    with at(30):
        client.get(link, HTTP_USER_AGENT=BROWSER)
    hits_fold()
    attempt.refresh_from_db()
    assert (attempt.click_count, attempt.machine_click_count) == (1, 1)
    assert list(Click.objects.order_by("at").values_list("machine", flat=True)) == [True, False]


def test_the_window_is_a_setting(client, sent, settings):
    settings.TRACKING_MACHINE_SECONDS = 3600
    attempt, _link, pixel = sent
    with at(30):
        client.get(pixel, HTTP_USER_AGENT=BROWSER)
    hits_fold()
    assert Open.objects.get().machine
