"""A mailing's lifecycle is decided in mailings.lifecycle alone: the web page and the API
ask the same guards, so the two doors answer alike, and the engine is asked for a run by
signal, never called."""

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from api.models import ApiToken
from mailings.lifecycle import enqueue_run, mailing_disable, mailing_schedule
from mailings.models import Mailing
from mailings.signals import run_wanted
from mailings.tests.factories import MailingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(owner):
    _token, token = ApiToken.issue(owner=owner, name="ci")
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def wanted():
    heard = []

    def listener(sender, mailing_id, **kwargs):
        heard.append(mailing_id)

    run_wanted.connect(listener)
    yield heard
    run_wanted.disconnect(listener)


def test_a_completed_mailing_is_refused_by_both_doors(signed_in, owner, api):
    mailing = MailingFactory(owner=owner, status=Mailing.Status.COMPLETED, next_run_at=None)

    response = signed_in.submit(
        f"/mailings/{mailing.pk}/disable/", form_url=f"/mailings/{mailing.pk}/"
    )
    assert "больше не запускается" in signed_in.get(response.url).content.decode()
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.COMPLETED

    answer = api.post(f"/api/v1/mailings/{mailing.pk}/disable/")
    assert answer.status_code == 409
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.COMPLETED


def test_disabling_twice_is_news_not_an_error_at_both_doors(signed_in, owner, api):
    mailing = MailingFactory(owner=owner, start_at=timezone.now() + dt.timedelta(days=1))
    mailing_schedule(mailing=mailing)

    assert api.post(f"/api/v1/mailings/{mailing.pk}/disable/").status_code == 200
    assert api.post(f"/api/v1/mailings/{mailing.pk}/disable/").status_code == 200
    response = signed_in.submit(
        f"/mailings/{mailing.pk}/disable/", form_url=f"/mailings/{mailing.pk}/"
    )
    assert "уже была отключена" in signed_in.get(response.url).content.decode()
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DISABLED


def test_the_engine_is_asked_by_signal_when_a_run_is_wanted(
    owner, wanted, django_capture_on_commit_callbacks
):
    later = MailingFactory(owner=owner, start_at=timezone.now() + dt.timedelta(days=1))
    mailing_schedule(mailing=later)
    assert wanted == []

    due = MailingFactory(owner=owner, start_at=timezone.now() - dt.timedelta(minutes=1))
    mailing_schedule(mailing=due)
    assert wanted == [due.pk]

    assert enqueue_run(mailing=later)
    mailing_disable(mailing=due)
    assert wanted == [due.pk, later.pk, due.pk]


def test_a_refused_send_now_asks_the_engine_for_nothing(owner, wanted):
    draft = MailingFactory(owner=owner, status=Mailing.Status.DRAFT, next_run_at=None)
    assert enqueue_run(mailing=draft) is False
    assert wanted == []
