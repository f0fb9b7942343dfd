"""The figures: the run page (counts, rates, top links, timeline), the client's history,
the reports CSV, the API, and the selector the segments builder uses."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.factories import UserFactory, manager
from api.models import ApiToken
from audience.models import Segment
from audience.segments import RuleError, segment_clients
from mailings.tests.factories import ClientFactory, DueMailingFactory, MessageFactory
from sending.models import Attempt, Delivery
from tracking.events import hits_fold
from tracking.selectors import clients_engaged

from .helpers import BODY, parts_of, send, tracked

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def run_with_engagement(owner, server, client, *, tracking="recipient", readers=3):
    """A run to `readers` clients: the first clicks the sale, the second only opens, the
    rest do nothing; a scanner follows the catalogue at once."""
    message = MessageFactory(owner=owner, body=BODY, format="markdown")
    clients = [ClientFactory(owner=owner) for _ in range(readers)]
    mailing = DueMailingFactory(owner=owner, message=message, clients=clients, tracking=tracking)
    emails = {m["To"]: parts_of(m)[0] for m in send(mailing, server)}
    first, second = (emails[c.email] for c in clients[:2])
    client.get(tracked(first)[0], HTTP_USER_AGENT="Barracuda Sentinel (EE)")
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=20), tick=False):
        client.get(tracked(first)[1], HTTP_USER_AGENT=BROWSER)
        client.get(tracked(second, "o")[0], HTTP_USER_AGENT=BROWSER)
    hits_fold()
    return mailing, Attempt.objects.get(mailing=mailing), clients


def test_the_run_page_shows_people_and_machines_apart(signed_in, owner, smtp_server, client):
    mailing, attempt, _clients = run_with_engagement(owner, smtp_server, client)
    page = signed_in.get(f"/mailings/{mailing.pk}/runs/{attempt.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<div class="fs-4 figure" data-figure="opens">2</div>' in html
    assert '<div class="fs-4 figure" data-figure="clicks">1</div>' in html
    assert '<div class="fs-4 figure" data-figure="rates">67% / 33%</div>' in html
    assert 'data-figure="machines">0 / 1</div>' in html
    links = html[html.index('id="engagement-links"') :]
    # The sale (one person) above the catalogue (one scanner).
    assert links.index("https://shop.example/sale") < links.index("https://shop.example/catalog")
    assert 'id="engagement-chart"' in html and 'data-opens="1" data-clicks="1"' in html


def test_a_run_nobody_touched_says_so(signed_in, owner):
    mailing = DueMailingFactory(owner=owner)
    attempt = Attempt.objects.create(mailing=mailing, started_at=timezone.now())
    html = signed_in.get(f"/mailings/{mailing.pk}/runs/{attempt.pk}/").content.decode()
    assert 'id="engagement-empty"' in html


def test_the_client_page_has_its_history_when_tracked_per_recipient(
    signed_in, owner, smtp_server, client
):
    _mailing, _attempt, clients = run_with_engagement(owner, smtp_server, client)
    clicker = signed_in.get(f"/clients/{clients[0].pk}/").content.decode()
    assert 'data-kind="click"' in clicker and "https://shop.example/sale" in clicker
    assert "https://shop.example/catalog" not in clicker  # the scanner's click
    idle = signed_in.get(f"/clients/{clients[2].pk}/").content.decode()
    assert 'id="client-engagement-empty"' in idle


def test_aggregate_runs_keep_no_client_history(signed_in, owner, smtp_server, client):
    _mailing, attempt, clients = run_with_engagement(
        owner, smtp_server, client, tracking="aggregate"
    )
    assert attempt.click_count == 1
    html = signed_in.get(f"/clients/{clients[0].pk}/").content.decode()
    assert 'id="client-engagement-empty"' in html


def test_the_reports_page_and_export_have_the_figures(signed_in, owner, smtp_server, client):
    run_with_engagement(owner, smtp_server, client)
    assert 'data-engagement="2/1"' in signed_in.get("/reports/").content.decode()
    response = signed_in.get("/reports/export/")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    (row,) = rows
    assert (row["opened"], row["clicked"]) == ("2", "1")
    assert (row["machine_opens"], row["machine_clicks"]) == ("0", "1")


def test_the_api_attempt_has_the_figures(owner, smtp_server, client):
    _mailing, attempt, _clients = run_with_engagement(owner, smtp_server, client)
    _token, secret = ApiToken.issue(owner=owner, name="t")
    response = client.get(f"/api/v1/attempts/{attempt.pk}/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = response.json()
    assert (body["open_count"], body["click_count"], body["machine_click_count"]) == (2, 1, 1)


def test_the_api_lists_the_runs_links_to_the_owner_and_managers_only(owner, smtp_server, client):
    _mailing, attempt, _clients = run_with_engagement(owner, smtp_server, client)
    url = f"/api/v1/attempts/{attempt.pk}/links/"
    _token, secret = ApiToken.issue(owner=owner, name="t")
    body = client.get(url, HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert body == [
        {"url": "https://shop.example/sale", "clicks": 1, "machine_clicks": 0},
        {"url": "https://shop.example/catalog?a=1&b=2", "clicks": 0, "machine_clicks": 1},
    ]
    _token, stranger = ApiToken.issue(owner=UserFactory(), name="t")
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {stranger}").status_code == 404
    _token, overseer = ApiToken.issue(owner=manager(), name="t")
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {overseer}").status_code == 200


def test_the_segments_selector_names_who_engaged(owner, smtp_server, client):
    _mailing, _attempt, clients = run_with_engagement(owner, smtp_server, client)
    clicked = clients_engaged(owner, kind="click", last_mailings=3)
    opened = clients_engaged(owner, kind="open", last_mailings=3)
    assert list(clicked) == [clients[0]]
    assert set(opened) == {clients[0], clients[1]}
    assert not clients_engaged(UserFactory(), kind="open", last_mailings=3).exists()
    # A later run that reached them and nobody touched pushes this one out of "the last
    # one" (each client's own runs: see test_segment_conditions for other audiences').
    later = DueMailingFactory(owner=owner)
    run = Attempt.objects.create(mailing=later, started_at=timezone.now() + dt.timedelta(hours=1))
    for reached in clients:
        Delivery.objects.create(
            attempt=run, client=reached, email=reached.email, status=Delivery.Status.SENT
        )
    assert not clients_engaged(owner, kind="open", last_mailings=1).exists()
    assert clients_engaged(owner, kind="open", last_mailings=2).count() == 2


def test_a_stranger_cannot_see_the_figures(owner, smtp_server, client):
    mailing, attempt, _clients = run_with_engagement(owner, smtp_server, client)
    client.force_login(UserFactory())
    assert client.get(f"/mailings/{mailing.pk}/runs/{attempt.pk}/").status_code == 404


def test_a_segment_picks_who_clicked_or_did_not_open_in_the_last_runs(owner, smtp_server, client):
    _mailing, _attempt, clients = run_with_engagement(owner, smtp_server, client)

    def matching(field: str, op: str, runs: str) -> set:
        rules = [{"field": field, "op": op, "value": runs}]
        segment = Segment.objects.create(owner=owner, name=f"{field} {op}", rules=rules)
        return set(segment_clients(segment))

    assert matching("clicked", "in_last_runs", "1") == {clients[0]}
    assert matching("opened", "in_last_runs", "3") == {clients[0], clients[1]}
    assert matching("opened", "not_in_last_runs", "3") == set(clients) - {clients[0], clients[1]}
    with pytest.raises(RuleError):
        matching("clicked", "in_last_runs", "0")
