"""Mailing screens. Assertions marked ENGINE depend on mailings.lifecycle.mailing_schedule
(the schedule's), and are written loosely enough to hold for any correct engine."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from audience.models import Client
from mailings.models import Mailing
from mailings.tests.factories import (
    AttemptFactory,
    ClientFactory,
    MailingFactory,
    MessageFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return UserFactory(time_zone="Asia/Yekaterinburg")


def local_input(value: dt.datetime, zone: str = "Asia/Yekaterinburg") -> str:
    return value.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def form_data(message, clients, **overrides) -> dict:
    start = timezone.now() + dt.timedelta(days=2)
    return {
        "message": message.pk,
        "start_at": local_input(start),
        "end_at": local_input(start + dt.timedelta(days=14)),
        "periodicity": "weekly",
        "clients": [c.pk for c in clients],
        **overrides,
    }


def test_the_form_offers_only_the_owners_messages_and_clients(signed_in, owner):
    mine_message, mine_client = MessageFactory(owner=owner), ClientFactory(owner=owner)
    MessageFactory(), ClientFactory()
    form = signed_in.get("/mailings/new/").context["form"]
    assert list(form.fields["message"].queryset) == [mine_message]
    assert list(form.fields["clients"].queryset) == [mine_client]


def test_it_creates_a_mailing_in_the_users_time_zone_stored_in_utc(signed_in, owner):
    message = MessageFactory(owner=owner)
    clients = ClientFactory.create_batch(3, owner=owner)
    response = signed_in.submit(
        "/mailings/new/",
        form_data(
            message,
            clients,
            start_at="2031-03-10T09:00",
            end_at="2031-06-10T09:00",
            periodicity="monthly",
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    mailing = Mailing.objects.get()
    assert response["Location"] == f"/mailings/{mailing.pk}/"
    # 09:00 in Yekaterinburg (UTC+5) is 04:00 UTC.
    assert mailing.start_at == dt.datetime(2031, 3, 10, 4, 0, tzinfo=dt.UTC)
    assert (mailing.owner, mailing.message, mailing.periodicity) == (owner, message, "monthly")
    assert set(mailing.clients.all()) == set(clients)
    # ENGINE: a mailing starting in the future waits for its start.
    assert mailing.status == Mailing.Status.CREATED
    assert mailing.next_run_at == mailing.start_at

    edit = signed_in.get(f"/mailings/{mailing.pk}/edit/").content.decode()
    assert 'value="2031-03-10T09:00"' in edit


def test_a_mailing_whose_window_contains_now_is_due_at_once(signed_in, owner):
    message, client = MessageFactory(owner=owner), ClientFactory(owner=owner)
    now = timezone.now()
    response = signed_in.submit(
        "/mailings/new/",
        form_data(
            message,
            [client],
            start_at=local_input(now - dt.timedelta(minutes=5)),
            end_at=local_input(now + dt.timedelta(days=3)),
            periodicity="daily",
        ),
    )
    assert response.status_code == 302
    mailing = Mailing.objects.get()
    # ENGINE: started (or about to be claimed) without anything sent inside the request.
    assert mailing.status in (Mailing.Status.CREATED, Mailing.Status.RUNNING)
    assert mailing.next_run_at is not None and mailing.next_run_at <= timezone.now()
    assert not mailing.attempts.exists() or mailing.status == Mailing.Status.RUNNING


def test_a_forged_message_of_another_user_is_rejected(signed_in, owner):
    foreign = MessageFactory()
    response = signed_in.submit("/mailings/new/", form_data(foreign, [ClientFactory(owner=owner)]))
    assert response.status_code == 200
    assert "message" in response.context["form"].errors
    assert not Mailing.objects.exists()


def test_a_forged_client_of_another_user_is_rejected(signed_in, owner):
    message = MessageFactory(owner=owner)
    foreign = ClientFactory()
    response = signed_in.submit(
        "/mailings/new/", form_data(message, [ClientFactory(owner=owner), foreign])
    )
    assert response.status_code == 200
    assert "clients" in response.context["form"].errors
    assert not Mailing.objects.exists()


def test_forged_ids_cannot_be_smuggled_into_an_existing_mailing(signed_in, owner):
    mailing = MailingFactory(owner=owner, clients=[ClientFactory(owner=owner)])
    foreign = ClientFactory()
    response = signed_in.submit(
        f"/mailings/{mailing.pk}/edit/", form_data(mailing.message, [foreign])
    )
    assert response.status_code == 200
    assert list(mailing.clients.all()) != [foreign]


@pytest.mark.parametrize(
    "overrides",
    [
        {"start_at": "2031-05-10T10:00", "end_at": "2031-05-10T09:00"},
        {"periodicity": "daily", "end_at": ""},
        {"periodicity": "once", "start_at": "2020-01-01T10:00", "end_at": "2020-01-02T10:00"},
    ],
    ids=["end-before-start", "periodic-without-end", "end-passed"],
)
def test_schedule_errors_are_shown_beside_the_end(signed_in, owner, overrides):
    message, client = MessageFactory(owner=owner), ClientFactory(owner=owner)
    response = signed_in.submit("/mailings/new/", form_data(message, [client], **overrides))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["end_at"]
    assert 'id="id_end_at_error"' in response.content.decode()
    assert not Mailing.objects.exists()


def test_once_needs_no_end(signed_in, owner):
    message, client = MessageFactory(owner=owner), ClientFactory(owner=owner)
    response = signed_in.submit(
        "/mailings/new/", form_data(message, [client], periodicity="once", end_at="")
    )
    assert response.status_code == 302
    assert Mailing.objects.get().end_at is None


def test_it_needs_recipients(signed_in, owner):
    message = MessageFactory(owner=owner)
    response = signed_in.submit("/mailings/new/", form_data(message, []))
    assert "clients" in response.context["form"].errors


def test_all_active_clients_in_one_tick_including_later_ones(signed_in, owner):
    from mailings.recipients import recipients_of

    message = MessageFactory(owner=owner)
    subscribed = ClientFactory.create_batch(4, owner=owner)
    ClientFactory(owner=owner, unsubscribed_at=timezone.now())
    ClientFactory()  # someone else's
    data = form_data(message, [])
    data["all_subscribed"] = "on"
    response = signed_in.submit("/mailings/new/", data)
    assert response.status_code == 302
    mailing = Mailing.objects.get()
    # Decided at each run, not copied into the mailing: a client added later is in.
    assert mailing.all_clients and not mailing.clients.exists()
    later = ClientFactory(owner=owner)
    assert set(recipients_of(mailing)) == {*subscribed, later}
    edit = signed_in.get(f"/mailings/{mailing.pk}/edit/")
    assert edit.context["form"]["all_subscribed"].value() is True


@pytest.mark.slow
def test_the_form_lists_no_client_it_was_not_given(signed_in, owner):
    from audience.models import Client

    Client.objects.bulk_create(
        Client(owner=owner, email=f"c{n}@example.org", full_name=f"Клиент {n}") for n in range(3000)
    )
    chosen = Client.objects.get(email="c42@example.org")
    MessageFactory(owner=owner)  # without one, the page shows what is missing, no form
    response = signed_in.get("/mailings/new/")
    assert 'id="mailing-form"' in response.content.decode()
    assert "c1@example.org" not in response.content.decode()
    assert len(response.content) < 60_000
    mailing = MailingFactory(owner=owner, clients=[chosen])
    page = signed_in.get(f"/mailings/{mailing.pk}/edit/").content.decode()
    assert page.count("@example.org&gt;</option>") == 1
    assert f'<option value="{chosen.pk}" selected>' in page


def test_the_detail_shows_settings_recipients_next_run_and_history(signed_in, owner):
    clients = ClientFactory.create_batch(3, owner=owner)
    clients[0].unsubscribed_at = timezone.now()
    clients[0].status = Client.Status.UNSUBSCRIBED
    clients[0].save()
    mailing = MailingFactory(owner=owner, clients=clients)
    mailing.next_run_at = mailing.start_at
    mailing.save()
    AttemptFactory(mailing=mailing, server_response="250 2.0.0 Ok: queued as 4F2A1")
    AttemptFactory(
        mailing=mailing,
        status="failure",
        sent_count=1,
        failed_count=2,
        server_response="451 4.7.1 Try again later",
    )
    response = signed_in.get(f"/mailings/{mailing.pk}/")
    assert response.status_code == 200
    assert response.context["recipients"] == {"total": 3, "subscribed": 2}
    assert len(response.context["attempts_page"].object_list) == 2
    body = response.content.decode()
    assert mailing.message.subject in body
    assert "451 4.7.1 Try again later" in body
    local = timezone.localtime(mailing.next_run_at, zoneinfo.ZoneInfo("Asia/Yekaterinburg"))
    assert f"{local:%d.%m.%Y %H:%M}" in body
    assert 'data-status="created"' in body


def test_the_list_shows_recipient_counts(signed_in, owner):
    mailing = MailingFactory(owner=owner, clients=ClientFactory.create_batch(4, owner=owner))
    MailingFactory()
    listed = signed_in.get("/mailings/").context["object_list"]
    assert [(m.pk, m.recipient_count) for m in listed] == [(mailing.pk, 4)]


def test_the_list_filters_by_status(signed_in, owner):
    running = MailingFactory(owner=owner, status="running")
    MailingFactory(owner=owner, status="disabled")
    listed = signed_in.get("/mailings/?status=running").context["object_list"]
    assert list(listed) == [running]


def test_send_now_is_a_post_that_only_queues(signed_in, owner):
    mailing = MailingFactory(owner=owner, clients=[ClientFactory(owner=owner)])
    assert signed_in.get(f"/mailings/{mailing.pk}/send/").status_code == 405
    response = signed_in.submit(
        f"/mailings/{mailing.pk}/send/", form_url=f"/mailings/{mailing.pk}/"
    )
    assert response.status_code == 302
    mailing.refresh_from_db()
    # ENGINE: the request records the wish; sending happens in a worker.
    assert mailing.send_requested_at is not None


def test_a_second_send_now_before_the_first_starts_asks_nothing_more(signed_in, owner):
    mailing = MailingFactory(owner=owner, clients=[ClientFactory(owner=owner)])
    detail = f"/mailings/{mailing.pk}/"
    signed_in.submit(f"/mailings/{mailing.pk}/send/", form_url=detail)
    mailing.refresh_from_db()
    first = mailing.send_requested_at
    response = signed_in.submit(f"/mailings/{mailing.pk}/send/", form_url=detail, follow=True)
    mailing.refresh_from_db()
    # ENGINE: enqueue_run answers False while a requested run has not started.
    assert mailing.send_requested_at == first
    assert [m.level_tag for m in response.context["messages"]] == ["info"]


def test_a_disabled_mailing_is_not_sent(signed_in, owner):
    mailing = MailingFactory(owner=owner, status="disabled")
    response = signed_in.submit(
        f"/mailings/{mailing.pk}/send/", form_url=f"/mailings/{mailing.pk}/", follow=True
    )
    mailing.refresh_from_db()
    assert mailing.send_requested_at is None
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_the_owner_disables_a_mailing(signed_in, owner):
    mailing = MailingFactory(owner=owner)
    assert signed_in.get(f"/mailings/{mailing.pk}/disable/").status_code == 405
    response = signed_in.submit(f"/mailings/{mailing.pk}/disable/", form_url="/mailings/")
    assert response.status_code == 302
    mailing.refresh_from_db()
    # ENGINE: disabled mailings have no next run.
    assert (mailing.status, mailing.next_run_at) == ("disabled", None)


def test_editing_a_completed_mailing_schedules_it_again(signed_in, owner):
    client = ClientFactory(owner=owner)
    mailing = MailingFactory(owner=owner, status="completed", clients=[client])
    start = timezone.now() + dt.timedelta(days=5)
    response = signed_in.submit(
        f"/mailings/{mailing.pk}/edit/",
        form_data(
            mailing.message,
            [client],
            start_at=local_input(start),
            end_at=local_input(start + dt.timedelta(days=10)),
        ),
    )
    assert response.status_code == 302
    mailing.refresh_from_db()
    # ENGINE: a fresh future window waits for its start.
    assert mailing.status == "created"
    assert mailing.next_run_at == mailing.start_at


def test_editing_a_disabled_mailing_keeps_it_disabled(signed_in, owner):
    client = ClientFactory(owner=owner)
    mailing = MailingFactory(owner=owner, status="disabled", clients=[client])
    response = signed_in.submit(
        f"/mailings/{mailing.pk}/edit/", form_data(mailing.message, [client])
    )
    assert response.status_code == 302
    mailing.refresh_from_db()
    assert mailing.status == "disabled"
    assert mailing.next_run_at is None


def test_deleting_a_mailing_asks_first(signed_in, owner):
    mailing = MailingFactory(owner=owner)
    AttemptFactory(mailing=mailing)
    page = signed_in.get(f"/mailings/{mailing.pk}/delete/")
    assert page.context["attempt_count"] == 1
    assert signed_in.submit(f"/mailings/{mailing.pk}/delete/").status_code == 302
    assert not Mailing.objects.filter(pk=mailing.pk).exists()


def test_use_in_a_mailing_preselects_only_an_own_message(signed_in, owner):
    mine, foreign = MessageFactory(owner=owner), MessageFactory()
    ClientFactory(owner=owner)  # without anyone to send to, the page shows what is missing
    page = signed_in.get(f"/mailings/new/?message={mine.pk}").content.decode()
    assert f'<option value="{mine.pk}" selected>' in page
    for value in (foreign.pk, "abc"):
        response = signed_in.get(f"/mailings/new/?message={value}")
        assert response.status_code == 200
        assert (
            " selected>"
            not in response.content.decode().split('name="message"')[1].split("</select>")[0]
        )


def test_client_names_are_escaped_in_the_picker(signed_in, owner):
    client = ClientFactory(owner=owner, full_name='<script>alert("x")</script>')
    mailing = MailingFactory(owner=owner, clients=[client])
    page = signed_in.get(f"/mailings/{mailing.pk}/edit/").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
