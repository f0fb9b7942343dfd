"""Tracking's conditions reach the segment editor through audience's registry: offered in
their place, with their operators named, though audience never imports tracking."""

import datetime as dt

import pytest
from django.utils import timezone

from audience.models import Segment
from audience.segment_forms import RuleForm, field_choices
from audience.segments import segment_clients
from mailings.tests.factories import ClientFactory, DueMailingFactory
from sending.models import Attempt, Delivery
from tracking.selectors import clients_engaged

from .test_figures import run_with_engagement

pytestmark = pytest.mark.django_db


def test_the_editor_offers_opened_and_clicked_before_added(owner):
    names = [name for name, _label in field_choices(owner) if isinstance(name, str)]
    assert names.index("status") < names.index("opened") < names.index("clicked")
    assert names.index("clicked") < names.index("created_at")

    form = RuleForm(
        {"field": "clicked", "op": "in_last_runs", "value": "3"},
        owner=owner,
    )
    assert form.is_valid(), form.errors
    assert "in_last_runs" in dict(form.fields["op"].choices)


def _runs_to(owner, clients, *, count: int, status=Delivery.Status.SENT) -> None:
    """`count` later runs of another mailing, each reaching `clients`; nobody reacts."""
    for hours in range(1, count + 1):
        run = Attempt.objects.create(
            mailing=DueMailingFactory(owner=owner),
            started_at=timezone.now() + dt.timedelta(hours=hours),
        )
        for client in clients:
            Delivery.objects.create(attempt=run, client=client, email=client.email, status=status)


def test_last_runs_are_each_clients_own_not_the_accounts(owner, smtp_server, client):
    """A client who opened its own last run counts as "opened in the last run" even when
    the account has sent five runs to another audience since."""
    _mailing, _attempt, readers = run_with_engagement(owner, smtp_server, client)
    others = [ClientFactory(owner=owner) for _ in range(2)]
    _runs_to(owner, others, count=5)
    opened = Segment.objects.create(
        owner=owner,
        name="opened",
        rules=[{"field": "opened", "op": "in_last_runs", "value": "1"}],
    )
    assert set(segment_clients(opened)) == {readers[0], readers[1]}

    # A run that did not reach them (failed, or not sent yet) does not push theirs out.
    _runs_to(owner, readers[:1], count=1, status=Delivery.Status.FAILED)
    _runs_to(owner, readers[:1], count=1, status=Delivery.Status.PENDING)
    assert set(segment_clients(opened)) == {readers[0], readers[1]}

    # One that reached the first reader, untouched, does: for it alone.
    _runs_to(owner, readers[:1], count=1)
    assert set(segment_clients(opened)) == {readers[1]}
    assert set(clients_engaged(owner, kind="open", last_mailings=2)) == set(readers[:2])
