"""A blocked owner's webhooks stop: nothing new is recorded for their endpoints and what
waits is not sent (until they are unblocked)."""

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from mailings.tests.factories import AttemptFactory
from webhooks.dispatch import webhooks_pass
from webhooks.models import Endpoint, EventType, WebhookMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    return Endpoint.objects.create(
        owner=UserFactory(), url=receiver.url, event_types=list(EventType.values)
    )


def finished_run(owner):
    now = timezone.now()
    return AttemptFactory(mailing__owner=owner, started_at=now, finished_at=now)


def block(user):
    type(user).objects.filter(pk=user.pk).update(is_active=False)


def test_a_blocked_owners_endpoint_hears_nothing(endpoint, receiver):
    block(endpoint.owner)
    finished_run(endpoint.owner)
    assert webhooks_pass() == 0
    assert receiver.requests == []
    assert not WebhookMessage.objects.exists()


def test_what_waited_is_not_sent_while_blocked_and_is_once_unblocked(endpoint, receiver):
    receiver.status = 500
    finished_run(endpoint.owner)
    webhooks_pass()
    tried = len(receiver.requests)
    assert tried == 2
    block(endpoint.owner)
    WebhookMessage.objects.update(next_try_at=timezone.now())
    receiver.status = 204
    assert webhooks_pass() == 0
    assert len(receiver.requests) == tried
    type(endpoint.owner).objects.filter(pk=endpoint.owner_id).update(is_active=True)
    assert webhooks_pass() == 2
