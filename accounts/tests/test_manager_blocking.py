"""Blocking a user pauses their mailings; unblocking lets them run again.

This goes through the sending engine's public command (`send_mailings`, SPEC §5) with
the outbox email backend, so it depends on the engine honouring `owner.is_active`.
"""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.tests.factories import UserFactory, manager
from mailings.tests.factories import ClientFactory, MailingFactory
from sending.models import Attempt

pytestmark = pytest.mark.django_db


def due_mailing(owner):
    mailing = MailingFactory(
        owner=owner,
        start_at=timezone.now() - dt.timedelta(minutes=1),
        end_at=timezone.now() + dt.timedelta(days=1),
        clients=ClientFactory.create_batch(2, owner=owner),
        status="running",
    )
    mailing.next_run_at = mailing.start_at
    mailing.save()
    return mailing


def test_a_blocked_users_mailings_do_not_run_until_unblocked(csrf_client, settings, outbox_dir):
    csrf_client.force_login(manager())
    blocked_owner, active_owner = UserFactory(), UserFactory()
    paused, running = due_mailing(blocked_owner), due_mailing(active_owner)

    csrf_client.submit(f"/manager/users/{blocked_owner.pk}/block/", form_url="/manager/users/")
    call_command("send_mailings", verbosity=0)
    assert not Attempt.objects.filter(mailing=paused).exists()
    assert Attempt.objects.filter(mailing=running).exists()

    csrf_client.submit(f"/manager/users/{blocked_owner.pk}/unblock/", form_url="/manager/users/")
    call_command("send_mailings", verbosity=0)
    assert Attempt.objects.filter(mailing=paused).exists()
