"""Duplicate a message or a mailing in one POST; a mailing's copy is a draft that the
engine never claims until its owner saves it with a start time."""

import datetime as dt

import pytest
from django.utils import timezone

from content.models import Message
from mailings.lifecycle import enqueue_run
from mailings.models import Mailing
from mailings.tests.factories import (
    ClientFactory,
    DueMailingFactory,
    MailingFactory,
    MessageFactory,
)
from sending.claims import due_mailings
from sending.models import Attempt
from sending.passes import run_pass

pytestmark = pytest.mark.django_db


def test_a_message_copy_opens_in_its_edit_page(signed_in, owner):
    message = MailingFactory(owner=owner).message
    message.format = Message.Format.MARKDOWN
    message.save()
    response = signed_in.submit(f"/messages/{message.pk}/duplicate/", form_url="/messages/")
    copy = Message.objects.exclude(pk=message.pk).get()
    assert response.status_code == 302
    assert response["Location"] == f"/messages/{copy.pk}/edit/"
    assert (copy.owner, copy.subject, copy.body, copy.format) == (
        owner,
        message.subject,
        message.body,
        "markdown",
    )
    assert not copy.mailings.exists()


def test_a_copy_of_a_due_mailing_sends_nothing_until_saved(signed_in, owner, outbox_dir):
    clients = ClientFactory.create_batch(2, owner=owner)
    original = DueMailingFactory(owner=owner, clients=clients, name="Весна")
    Mailing.objects.filter(pk=original.pk).update(status="completed", next_run_at=None)

    response = signed_in.submit(f"/mailings/{original.pk}/duplicate/", form_url="/mailings/")

    copy = Mailing.objects.exclude(pk=original.pk).get()
    assert response["Location"] == f"/mailings/{copy.pk}/edit/"
    assert copy.status == "draft" and copy.next_run_at is None
    assert copy.name == "Весна (копия)"
    assert (copy.message, copy.start_at, copy.periodicity) == (
        original.message,
        original.start_at,
        original.periodicity,
    )
    assert set(copy.clients.all()) == set(clients)
    # Neither the due scan nor "Send now" touches it.
    assert copy not in due_mailings(now=timezone.now() + dt.timedelta(days=400))
    assert enqueue_run(mailing=copy) is False
    run_pass()
    assert not Attempt.objects.filter(mailing=copy).exists()
    refused = signed_in.submit(f"/mailings/{copy.pk}/send/", form_url="/mailings/")
    assert refused.status_code == 302
    copy.refresh_from_db()
    assert copy.send_requested_at is None


def test_saving_a_draft_with_its_copied_past_start_asks_first(signed_in, owner):
    client = ClientFactory(owner=owner)
    original = DueMailingFactory(
        owner=owner, clients=[client], start_at=timezone.now() - dt.timedelta(days=3)
    )
    signed_in.submit(f"/mailings/{original.pk}/duplicate/", form_url="/mailings/")
    copy = Mailing.objects.exclude(pk=original.pk).get()
    data = {
        "name": copy.name,
        "message": copy.message_id,
        "language": "ru",
        "start_at": timezone.localtime(copy.start_at).strftime("%Y-%m-%dT%H:%M"),
        "periodicity": "once",
        "clients": [client.pk],
    }
    asked = signed_in.submit(f"/mailings/{copy.pk}/edit/", data)
    assert asked.status_code == 200
    assert "confirm_past_start" in asked.context["form"].errors
    copy.refresh_from_db()
    assert copy.status == "draft"

    later = timezone.localtime(timezone.now() + dt.timedelta(days=2))
    saved = signed_in.submit(
        f"/mailings/{copy.pk}/edit/", {**data, "start_at": later.strftime("%Y-%m-%dT%H:%M")}
    )
    assert saved.status_code == 302
    copy.refresh_from_db()
    assert copy.status == "created" and copy.next_run_at is not None


def test_a_stranger_cannot_duplicate_and_a_manager_is_refused(csrf_client, owner):
    from accounts.tests.factories import UserFactory, manager

    mailing = MailingFactory(owner=owner)
    csrf_client.force_login(UserFactory())
    assert csrf_client.submit(f"/mailings/{mailing.pk}/duplicate/", form_url="/").status_code == 404
    path = f"/messages/{mailing.message_id}/duplicate/"
    assert csrf_client.submit(path, form_url="/").status_code == 404
    csrf_client.force_login(manager())
    assert csrf_client.submit(f"/mailings/{mailing.pk}/duplicate/", form_url="/").status_code == 403
    assert csrf_client.submit(path, form_url="/").status_code == 403
    assert Mailing.objects.count() == 1 and Message.objects.count() == 1


def test_a_copy_keeps_every_setting_of_the_original(signed_in, owner):
    """Goes through every field of Mailing: a field added later fails here until it says
    what its copy holds, so no setting is dropped silently (tracking once was)."""
    from audience.models import MailingList, Segment
    from mailings.lifecycle import NOT_DUPLICATED
    from senders.tests.factories import SenderFactory

    # A value unlike the field's default for each field the copy takes over.
    settings = {
        "owner": owner,
        "message": MessageFactory(owner=owner),
        "sender": SenderFactory(owner=owner),
        "language": "en",
        "tracking": "recipient",
        "start_at": timezone.now() + dt.timedelta(days=3),
        "end_at": timezone.now() + dt.timedelta(days=40),
        "periodicity": "weekly",
        "segment": Segment.objects.create(
            owner=owner, name="Все", rules=[{"field": "email", "op": "contains", "value": "@"}]
        ),
        "all_clients": True,
    }
    many = {
        "clients": set(ClientFactory.create_batch(2, owner=owner)),
        "lists": {MailingList.objects.create(owner=owner, name="Покупатели")},
    }
    # What a copy makes its own: the draft's identity, name and (empty) run state.
    assert {
        "id",
        "name",
        "status",
        "next_run_at",
        "send_requested_at",
        "requested_slot_at",
        "created_at",
        "updated_at",
    } == NOT_DUPLICATED
    fields = {field.name for field in Mailing._meta.concrete_fields}
    assert fields - NOT_DUPLICATED == set(settings), "say what a copy of the new field holds"
    assert {field.name for field in Mailing._meta.many_to_many} == set(many)
    for name, value in settings.items():
        default = Mailing._meta.get_field(name).get_default()
        assert value != default, f"{name}: pick a value its default would not match"

    original = Mailing.objects.create(
        **settings,
        name="Весна",
        status="running",
        next_run_at=settings["start_at"],
        send_requested_at=timezone.now(),
    )
    for name, values in many.items():
        getattr(original, name).set(values)

    signed_in.submit(f"/mailings/{original.pk}/duplicate/", form_url="/mailings/")

    copy = Mailing.objects.exclude(pk=original.pk).get()
    for name, value in settings.items():
        assert getattr(copy, name) == value, name
    for name, values in many.items():
        assert set(getattr(copy, name).all()) == values, name
    assert (copy.name, copy.status, copy.next_run_at) == ("Весна (копия)", "draft", None)
    assert copy.send_requested_at is None and copy.requested_slot_at is None
