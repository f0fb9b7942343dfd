"""A real run through an SMTP server: every link of both parts is tracked, resolves to
its own target and counts; the unsubscribe link is left alone; bad tokens are 404."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from content.links import Signer
from content.models import Link
from mailings.tests.factories import ClientFactory, DueMailingFactory, MessageFactory
from sending.models import Attempt
from tracking.events import hits_fold
from tracking.models import Click, Hit, Open

from .helpers import BODY, parts_of, send, tracked

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"


@pytest.fixture
def mailing(owner):
    message = MessageFactory(owner=owner, body=BODY, format="markdown")
    clients = [ClientFactory(owner=owner) for _ in range(2)]
    return DueMailingFactory(owner=owner, message=message, clients=clients)


def later(minutes: int = 10):
    return time_machine.travel(timezone.now() + dt.timedelta(minutes=minutes), tick=True)


def test_every_link_of_both_parts_leads_to_its_target_and_counts(client, mailing, smtp_server):
    first, _second = send(mailing, smtp_server)
    html, text = parts_of(first)
    html_links, text_links = tracked(html), tracked(text)
    # Two distinct targets, the catalogue linked twice; mailto: stays as it is.
    assert len(html_links) == 3 and len(text_links) == 3
    assert len(set(html_links)) == 2 and set(html_links) == set(text_links)
    assert "mailto:hi@shop.example" in html
    assert 'href="https://shop.example' not in html
    assert "(https://shop.example" not in text
    with later():
        targets = [client.get(path, HTTP_USER_AGENT=BROWSER)["Location"] for path in html_links[:2]]
    assert targets == ["https://shop.example/catalog?a=1&b=2", "https://shop.example/sale"]
    hits_fold()
    attempt = Attempt.objects.get(mailing=mailing)
    assert (attempt.click_count, attempt.open_count) == (1, 1)  # a click is an open
    assert attempt.machine_click_count == 0
    assert Link.objects.filter(attempt=attempt).count() == 2


def test_the_unsubscribe_link_and_headers_are_not_rewritten(mailing, smtp_server):
    message = send(mailing, smtp_server)[0]
    html, text = parts_of(message)
    assert message["List-Unsubscribe"].startswith("<https://mail.rassylka.example/unsubscribe/")
    assert "/unsubscribe/" in html.split("<hr>")[1] and "/unsubscribe/" in text
    assert "/l/" not in message["List-Unsubscribe"]


def test_the_pixel_ends_the_html_body_and_counts_an_open(client, mailing, smtp_server):
    html, text = parts_of(send(mailing, smtp_server)[0])
    (pixel,) = tracked(html, "o")
    assert html.index(pixel) > html.index("/unsubscribe/")
    assert not tracked(text, "o")
    with later():
        response = client.get(pixel, HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert response.content.startswith(b"GIF89a")
    assert "no-cache" in response["Cache-Control"]
    hits_fold()
    assert Attempt.objects.get(mailing=mailing).open_count == 1


def test_replays_count_once_per_recipient(client, mailing, smtp_server):
    first, second = send(mailing, smtp_server)
    link = tracked(parts_of(first)[0])[0]
    for minutes in (10, 20, 30):
        with later(minutes):
            for _ in range(3):
                assert client.get(link, HTTP_USER_AGENT=BROWSER).status_code == 302
        hits_fold()
    with later(40):
        client.get(tracked(parts_of(second)[0])[1], HTTP_USER_AGENT=BROWSER)
    hits_fold()
    attempt = Attempt.objects.get(mailing=mailing)
    assert attempt.click_count == 2
    assert Click.objects.count() == 2


@pytest.mark.slow
def test_a_flood_on_one_link_writes_one_row(client, mailing, smtp_server):
    link = tracked(parts_of(send(mailing, smtp_server)[0])[0])[0]
    # The clock stands still: the flood falls in one replay window however slow the host.
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10), tick=False):
        for _ in range(1000):
            assert client.get(link, HTTP_USER_AGENT=BROWSER).status_code == 302
        assert Hit.objects.count() == 1
    hits_fold()
    assert Attempt.objects.get(mailing=mailing).click_count == 1


def test_every_scheduler_beat_folds_the_hits(client, mailing, smtp_server):
    from sending.passes import tick

    link = tracked(parts_of(send(mailing, smtp_server)[0])[0])[0]
    with later():
        client.get(link, HTTP_USER_AGENT=BROWSER)
    tick(source="test")
    assert not Hit.objects.exists()
    assert Attempt.objects.get(mailing=mailing).click_count == 1


def test_the_query_string_cannot_redirect_elsewhere(client, mailing, smtp_server):
    link = tracked(parts_of(send(mailing, smtp_server)[0])[0])[1]
    response = client.get(link + "?next=https://evil.example/&url=https://evil.example/")
    assert response["Location"] == "https://shop.example/sale"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1],
        lambda token: token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1],
        lambda token: token.replace(".", ".1", 1),
        lambda token: token.split(".", 1)[1],
        lambda token: "r" + token[1:] if token[0] == "a" else "a" + token[1:],
        lambda token: "",
        lambda token: "garbage",
        lambda token: "a.1.1.1.AAAAAAAAAAAAAAAA",
        lambda token: token + "é",
    ],
)
def test_a_tampered_token_is_404_and_counts_nothing(client, mailing, smtp_server, mangle):
    path = tracked(parts_of(send(mailing, smtp_server)[0])[0])[0]
    token = path.split("/")[2]
    for kind in ("l", "o"):
        assert client.get(f"/{kind}/{mangle(token)}/").status_code == 404
    hits_fold()
    assert not Click.objects.exists() and not Open.objects.exists()


def test_an_open_token_is_no_click_token(client, mailing, smtp_server):
    html, _text = parts_of(send(mailing, smtp_server)[0])
    open_token = tracked(html, "o")[0].split("/")[2]
    click_token = tracked(html)[0].split("/")[2]
    assert client.get(f"/l/{open_token}/").status_code == 404
    assert client.get(f"/o/{click_token}/").status_code == 404


def test_a_link_of_another_users_run_is_404(client, mailing, smtp_server):
    """A genuine signature on our run with the id of a link of somebody else's run."""
    send(mailing, smtp_server)
    attempt = Attempt.objects.get(mailing=mailing)
    delivery = attempt.deliveries.first()
    stranger = DueMailingFactory(message__body="https://stranger.example/secret")
    stranger_link = Link.objects.create(
        attempt=Attempt.objects.create(mailing=stranger, started_at=timezone.now()),
        url="https://stranger.example/secret",
        url_hash="x",
    )
    token = Signer(attempt_id=attempt.pk, mode="aggregate").click_token(
        delivery.pk, stranger_link.pk
    )
    assert client.get(f"/l/{token}/").status_code == 404
