"""The mailing form's "send now or schedule": sent now, the mailing is created and its
one run asked for as the "Send now" button does, exactly once however time passes; the
new-mailing page without a message or anyone to send to says what is missing."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from audience.tests.factories import MailingListFactory
from mailings.forms import MailingForm
from mailings.models import Mailing
from mailings.tests.factories import ClientFactory, MailingFactory, MessageFactory
from sending.models import Attempt
from sending.passes import run_pass

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_send_now_creates_the_mailing_and_exactly_one_run(signed_in, owner, outbox_dir, settings):
    settings.SEND_RATE = 0
    message = MessageFactory(owner=owner)
    clients = ClientFactory.create_batch(2, owner=owner)
    # The clock stands still while the form is sent (the session's is the real one).
    moment = timezone.now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        response = signed_in.submit(
            "/mailings/new/",
            {
                "when": "now",
                "message": message.pk,
                "clients": [client.pk for client in clients],
                # What the hidden schedule fields still hold is not read.
                "start_at": "2031-05-01T10:00",
                "end_at": "garbage",
                "periodicity": "weekly",
            },
        )
        assert response.status_code == 302
        mailing = Mailing.objects.get()
        assert (mailing.periodicity, mailing.start_at, mailing.end_at) == ("once", moment, None)
        assert mailing.send_requested_at == moment
        assert (mailing.status, mailing.next_run_at) == (Mailing.Status.RUNNING, None)
        page = signed_in.get(response["Location"]).content.decode()
        assert "Рассылка поставлена в очередь" in page
        run_pass()

    # Past the moment it was created at, a day, a week on: no second run.
    for later in (dt.timedelta(minutes=5), dt.timedelta(days=1), dt.timedelta(days=8)):
        with time_machine.travel(moment + later, tick=False):
            run_pass()

    (attempt,) = Attempt.objects.filter(mailing=mailing)
    assert attempt.sent_count == 2
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.COMPLETED
    assert len(list(outbox_dir.iterdir())) == 2


def test_schedule_stays_as_it_was_and_is_the_default(signed_in, owner):
    message, client = MessageFactory(owner=owner), ClientFactory(owner=owner)
    form = signed_in.get("/mailings/new/").context["form"]
    assert form["when"].value() == "schedule"
    start = timezone.localtime(timezone.now() + dt.timedelta(days=2))
    data = {"message": message.pk, "clients": [client.pk], "periodicity": "once"}

    missing = signed_in.submit("/mailings/new/", {**data, "when": "schedule"})
    assert missing.status_code == 200
    assert missing.context["form"].errors["start_at"] == ["Обязательное поле."]

    for when in ("schedule", ""):
        response = signed_in.submit(
            "/mailings/new/", {**data, "when": when, "start_at": start.strftime("%Y-%m-%dT%H:%M")}
        )
        assert response.status_code == 302
    assert list(Mailing.objects.values_list("status", "send_requested_at")) == [
        ("created", None),
        ("created", None),
    ]


@pytest.mark.slow
def test_a_draft_copy_may_be_sent_now_and_a_scheduled_mailing_has_its_button_instead(
    signed_in, owner
):
    client = ClientFactory(owner=owner)
    original = MailingFactory(owner=owner, clients=[client])
    signed_in.submit(f"/mailings/{original.pk}/duplicate/", form_url="/mailings/")
    copy = Mailing.objects.exclude(pk=original.pk).get()
    assert "when" in signed_in.get(f"/mailings/{copy.pk}/edit/").context["form"].fields
    assert "when" not in signed_in.get(f"/mailings/{original.pk}/edit/").context["form"].fields

    response = signed_in.submit(
        f"/mailings/{copy.pk}/edit/",
        {"when": "now", "message": copy.message_id, "clients": [client.pk], "name": copy.name},
    )

    assert response.status_code == 302
    copy.refresh_from_db()
    assert copy.status == Mailing.Status.RUNNING and copy.send_requested_at is not None
    # On a scheduled mailing's form "now" means nothing: it stays as scheduled.
    before = (original.start_at, original.periodicity)
    signed_in.submit(
        f"/mailings/{original.pk}/edit/",
        {
            "when": "now",
            "message": original.message_id,
            "clients": [client.pk],
            "start_at": timezone.localtime(original.start_at).strftime("%Y-%m-%dT%H:%M"),
            "end_at": timezone.localtime(original.end_at).strftime("%Y-%m-%dT%H:%M"),
            "periodicity": original.periodicity,
        },
    )
    original.refresh_from_db()
    assert original.send_requested_at is None
    assert (original.start_at.replace(second=0, microsecond=0), original.periodicity) == (
        before[0].replace(second=0, microsecond=0),
        before[1],
    )


@pytest.mark.parametrize(
    ("message", "audience", "shown"),
    [
        (False, False, ["Написать сообщение", "Импорт клиентов"]),
        (True, False, ["Импорт клиентов", "Создать список"]),
        (False, True, ["Написать сообщение"]),
    ],
)
def test_a_new_mailing_without_a_message_or_recipients_says_what_is_missing(
    signed_in, owner, message, audience, shown
):
    if message:
        MessageFactory(owner=owner)
    if audience:
        MailingListFactory(owner=owner)  # a list people join by its form is enough
    response = signed_in.get("/mailings/new/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="mailing-prerequisites"' in page and 'id="mailing-form"' not in page
    listed = page.split('id="mailing-prerequisites"')[1].split("</ol>")[0]
    for label in shown:
        assert label in listed
    assert ('href="/messages/new/"' in listed) is not message
    assert ('href="/clients/import/"' in listed) is not audience


def test_with_a_message_and_a_client_the_form_is_there(signed_in, owner):
    MessageFactory(owner=owner)
    ClientFactory(owner=owner)
    page = signed_in.get("/mailings/new/").content.decode()
    assert 'id="mailing-form"' in page and 'id="mailing-prerequisites"' not in page
    assert 'name="when"' in page and 'id="schedule-fields"' in page


@given(
    when=st.one_of(st.sampled_from(["now", "schedule", "", "NOW"]), st.text(max_size=20)),
    start_at=st.one_of(st.just(""), st.text(max_size=30)),
    periodicity=st.one_of(st.sampled_from(["once", "daily", ""]), st.text(max_size=10)),
)
def test_the_when_choice_answers_any_input_with_a_mailing_or_an_error(when, start_at, periodicity):
    owner = UserFactory()
    message, client = MessageFactory(owner=owner), ClientFactory(owner=owner)
    form = MailingForm(
        {
            "when": when,
            "message": message.pk,
            "clients": [client.pk],
            "start_at": start_at,
            "periodicity": periodicity,
        },
        owner=owner,
        instance=Mailing(owner=owner),
    )
    if when == "now":
        assert form.is_valid(), form.errors
        assert form.cleaned_data["periodicity"] == "once"
        assert form.cleaned_data["end_at"] is None
    elif form.is_valid():
        assert form.cleaned_data["start_at"] is not None
    else:
        assert form.errors
