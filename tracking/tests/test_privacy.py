"""The privacy switch: off leaves the email alone, counts keep nobody, per recipient
keeps who did what; the owner's profile decides unless the mailing does; previews and
test sends are never tracked."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from mailings.tests.factories import ClientFactory, DueMailingFactory, MessageFactory
from sending.models import Attempt
from tracking.events import hits_fold
from tracking.models import Click, Hit, Open

from .helpers import BODY, parts_of, send, tracked

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari"


def mailing_of(owner, **kwargs):
    message = MessageFactory(owner=owner, body=BODY, format="markdown")
    return DueMailingFactory(
        owner=owner, message=message, clients=[ClientFactory(owner=owner)], **kwargs
    )


def click_and_open(client, message):
    html, _text = parts_of(message)
    moment = (timezone.now() + dt.timedelta(minutes=10)).replace(second=13, microsecond=0)
    with time_machine.travel(moment, tick=False):
        client.get(tracked(html)[0], HTTP_USER_AGENT=BROWSER)
        client.get(tracked(html, "o")[0], HTTP_USER_AGENT=BROWSER)
    hits_fold()


def test_a_new_user_counts_in_aggregate(owner):
    assert owner.tracking == "aggregate"


@pytest.mark.parametrize(
    ("owner_tracking", "mailing_tracking"), [("off", ""), ("recipient", "off")]
)
def test_off_leaves_the_links_alone_and_adds_no_pixel(
    owner, smtp_server, owner_tracking, mailing_tracking
):
    owner.tracking = owner_tracking
    owner.save()
    message = send(mailing_of(owner, tracking=mailing_tracking), smtp_server)[0]
    html, text = parts_of(message)
    assert not tracked(html) and not tracked(html, "o") and not tracked(text)
    assert 'href="https://shop.example/catalog?a=1&amp;b=2"' in html
    assert "(https://shop.example/sale)" in text


def test_aggregate_counts_without_keeping_who(client, owner, smtp_server):
    mailing = mailing_of(owner)
    click_and_open(client, send(mailing, smtp_server)[0])
    attempt = Attempt.objects.get(mailing=mailing)
    assert (attempt.open_count, attempt.click_count) == (1, 1)
    for event in [*Open.objects.all(), *Click.objects.all()]:
        assert event.delivery_id is None
        assert (event.at.minute, event.at.second) == (0, 0)  # the hour alone
    assert not Hit.objects.exists()  # nor the agent, nor the delivery of the hit


def test_per_recipient_keeps_who_and_when(client, owner, smtp_server):
    mailing = mailing_of(owner, tracking="recipient")
    click_and_open(client, send(mailing, smtp_server)[0])
    delivery = Attempt.objects.get(mailing=mailing).deliveries.get()
    click = Click.objects.get()
    assert click.delivery == delivery and Open.objects.get().delivery == delivery
    assert click.at.second == 13


def test_the_mailing_overrides_the_profile(client, owner, smtp_server):
    owner.tracking = "off"
    owner.save()
    mailing = mailing_of(owner, tracking="recipient")
    click_and_open(client, send(mailing, smtp_server)[0])
    assert Click.objects.get().delivery is not None


def test_turning_tracking_down_holds_for_emails_already_sent(client, owner, smtp_server):
    mailing = mailing_of(owner, tracking="recipient")
    message = send(mailing, smtp_server)[0]
    mailing.tracking = "aggregate"
    mailing.save()
    click_and_open(client, message)
    assert Click.objects.get().delivery is None
    owner.tracking = "off"
    owner.save()
    mailing.tracking = ""
    mailing.save()
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1), tick=False):
        client.get(tracked(parts_of(message)[0])[1], HTTP_USER_AGENT=BROWSER)
    hits_fold()
    assert Click.objects.count() == 1  # the link still works, nothing more is counted


def test_the_mailing_form_sets_the_mailings_tracking(signed_in, owner):
    mailing = mailing_of(owner)
    response = signed_in.submit(
        f"/mailings/{mailing.pk}/edit/",
        {
            "message": mailing.message_id,
            "start_at": "2031-06-01T09:00",
            "periodicity": "once",
            "clients": [c.pk for c in mailing.clients.all()],
            "tracking": "off",
        },
    )
    assert response.status_code == 302
    mailing.refresh_from_db()
    assert mailing.tracking == "off" and mailing.tracking_mode == "off"
    page = signed_in.get(f"/mailings/{mailing.pk}/").content.decode()
    assert 'id="mailing-tracking">Выключено' in page


def test_the_preview_keeps_the_messages_own_links(signed_in, owner):
    mailing = mailing_of(owner, tracking="recipient")
    response = signed_in.get(f"/messages/{mailing.message_id}/preview/email/")
    page = response.content.decode()
    assert 'href="https://shop.example/sale"' in page
    assert "/l/" not in page and "/o/" not in page


def test_a_test_send_is_not_tracked(signed_in, owner, smtp_server):
    from sending.mail_queue import queued_emails_send

    mailing = mailing_of(owner, tracking="recipient")
    response = signed_in.submit(
        f"/messages/{mailing.message_id}/test/", {"to": owner.email}, form_url="/messages/"
    )
    assert response.status_code == 302
    assert queued_emails_send() == 1
    ((_rcpt, received),) = smtp_server.handler.messages
    assert b"https://shop.example/sale" in received
    assert b"/l/" not in received and b"/o/" not in received
