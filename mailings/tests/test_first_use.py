"""What surprised a new user: names for mailings, statuses as users say them, buttons
only for those who may press them, and questions before sending to people again or
sending a date long past."""

import csv
import datetime as dt
import io
import zoneinfo

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory, manager
from mailings.models import Mailing
from mailings.tests.factories import AttemptFactory, ClientFactory, MailingFactory, MessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return UserFactory(time_zone="Europe/Moscow")


def local_input(value: dt.datetime) -> str:
    return value.astimezone(zoneinfo.ZoneInfo("Europe/Moscow")).strftime("%Y-%m-%dT%H:%M")


def form_data(owner, **overrides) -> dict:
    message, client = (
        MessageFactory(owner=owner, subject="Осенняя распродажа"),
        ClientFactory(owner=owner),
    )
    start = timezone.now() + dt.timedelta(days=2)
    return {
        "message": message.pk,
        "start_at": local_input(start),
        "end_at": "",
        "periodicity": "once",
        "clients": [client.pk],
        **overrides,
    }


# Names


def test_a_mailing_without_a_name_takes_the_subject_and_a_name_tells_two_apart(signed_in, owner):
    data = form_data(owner)
    assert signed_in.submit("/mailings/new/", data).status_code == 302
    assert signed_in.submit("/mailings/new/", {**data, "name": "Для VIP"}).status_code == 302
    assert sorted(Mailing.objects.values_list("name", flat=True)) == [
        "Для VIP",
        "Осенняя распродажа",
    ]
    vip = Mailing.objects.get(name="Для VIP")
    assert "Для VIP" in signed_in.get("/mailings/").content.decode()
    assert (
        '<h1 class="h3 mb-1 text-break">Для VIP</h1>'
        in signed_in.get(vip.get_absolute_url()).content.decode()
    )
    found = signed_in.get("/mailings/", {"q": "vip"}).context["object_list"]
    assert [mailing.pk for mailing in found] == [vip.pk]


def test_reports_and_their_csv_show_the_name(client, owner):
    attempt = AttemptFactory(mailing=MailingFactory(owner=owner, name="Для VIP"))
    client.force_login(owner)
    assert "Для VIP" in client.get("/reports/").content.decode()
    export = b"".join(client.get("/reports/export/").streaming_content).decode()
    [row] = list(csv.DictReader(io.StringIO(export.lstrip("\ufeff"))))
    assert (row["mailing"], row["subject"]) == ("Для VIP", attempt.mailing.message.subject)


def test_a_mailing_saved_before_names_shows_its_subject(client, owner):
    mailing = MailingFactory(owner=owner, name="")
    client.force_login(owner)
    assert mailing.message.subject in client.get("/mailings/").content.decode()
    assert mailing.title == mailing.message.subject


# Statuses and buttons


def test_a_mailing_waiting_for_its_start_reads_scheduled(signed_in, owner):
    signed_in.submit("/mailings/new/", form_data(owner))
    mailing = Mailing.objects.get()
    assert mailing.status == Mailing.Status.CREATED
    page = signed_in.get(mailing.get_absolute_url()).content.decode()
    assert 'data-status="created">Запланирована<' in page


def test_a_completed_mailing_offers_no_disable_and_refuses_one(signed_in, owner):
    mailing = MailingFactory(owner=owner, status=Mailing.Status.COMPLETED, next_run_at=None)
    page = signed_in.get(mailing.get_absolute_url()).content.decode()
    assert f"/mailings/{mailing.pk}/disable/" not in page
    signed_in.submit(f"/mailings/{mailing.pk}/disable/", form_url=mailing.get_absolute_url())
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.COMPLETED


def test_a_running_mailing_still_offers_disable(signed_in, owner):
    mailing = MailingFactory(owner=owner, status=Mailing.Status.RUNNING)
    assert (
        f"/mailings/{mailing.pk}/disable/"
        in signed_in.get(mailing.get_absolute_url()).content.decode()
    )


def test_the_home_page_offers_new_mailing_to_owners_only(client):
    client.force_login(UserFactory())
    assert 'href="/mailings/new/"' in client.get("/").content.decode()
    client.force_login(manager())
    page = client.get("/").content.decode()
    assert 'href="/mailings/new/"' not in page
    assert 'href="/mailings/"' in page  # reading stays


# Send now after a run that reached people


def test_send_now_after_a_finished_run_says_how_many_got_it_and_asks(signed_in, owner):
    mailing = MailingFactory(owner=owner, status=Mailing.Status.COMPLETED, next_run_at=None)
    mailing.clients.set(ClientFactory.create_batch(4, owner=owner))
    AttemptFactory(mailing=mailing, sent_count=3, failed_count=1)
    send = f"/mailings/{mailing.pk}/send/"

    response = signed_in.submit(send, form_url=mailing.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert "уже дошёл до 3 получателей" in page
    assert 'name="confirm"' in page
    mailing.refresh_from_db()
    assert mailing.send_requested_at is None  # nothing queued yet

    response = signed_in.submit(send, {"confirm": "yes"}, form_url=mailing.get_absolute_url())
    assert response.status_code == 302
    mailing.refresh_from_db()
    assert mailing.send_requested_at is not None


def test_send_now_before_any_run_needs_no_extra_step(signed_in, owner):
    mailing = MailingFactory(owner=owner)
    response = signed_in.submit(f"/mailings/{mailing.pk}/send/", form_url="/mailings/")
    assert response.status_code == 302
    mailing.refresh_from_db()
    assert mailing.send_requested_at is not None


# A first send long past


def test_a_start_more_than_an_hour_ago_asks_before_sending(signed_in, owner):
    past = local_input(timezone.now() - dt.timedelta(days=400))
    data = form_data(owner, start_at=past)
    response = signed_in.submit("/mailings/new/", data)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["confirm_past_start"]
    assert 'name="confirm_past_start"' in response.content.decode()
    assert not Mailing.objects.exists()

    response = signed_in.submit("/mailings/new/", {**data, "confirm_past_start": "on"})
    assert response.status_code == 302
    assert Mailing.objects.get().status == Mailing.Status.RUNNING


def test_a_start_within_the_hour_is_sent_without_asking(signed_in, owner):
    data = form_data(owner, start_at=local_input(timezone.now() - dt.timedelta(minutes=30)))
    assert 'name="confirm_past_start"' not in signed_in.get("/mailings/new/").content.decode()
    assert signed_in.submit("/mailings/new/", data).status_code == 302


def test_editing_a_mailing_whose_start_passed_long_ago_asks_nothing(signed_in, owner):
    start = timezone.now() - dt.timedelta(days=30)
    mailing = MailingFactory(
        owner=owner,
        start_at=start.replace(second=17),
        end_at=timezone.now() + dt.timedelta(days=30),
        periodicity="weekly",
        status=Mailing.Status.RUNNING,
    )
    client = ClientFactory(owner=owner)
    response = signed_in.submit(
        f"/mailings/{mailing.pk}/edit/",
        {
            "name": "Новое название",
            "message": mailing.message_id,
            "start_at": local_input(start),
            "end_at": local_input(mailing.end_at),
            "periodicity": "weekly",
            "clients": [client.pk],
        },
    )
    assert response.status_code == 302
    mailing.refresh_from_db()
    assert mailing.name == "Новое название"
