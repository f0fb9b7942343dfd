import datetime as dt

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from accounts.tests.factories import UserFactory
from audience.status import Reason, client_set_status
from mailings.tests.factories import AttemptFactory, ClientFactory
from sending.passes import tick
from webhooks.dispatch import DISABLE_AFTER, RETRY_DELAYS, messages_send_due, webhooks_pass
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


def test_a_finished_run_is_posted_signed_per_standard_webhooks(endpoint, receiver):
    attempt = finished_run(endpoint.owner)
    assert webhooks_pass() == 2  # started and finished
    by_type = {payload["type"]: payload for payload in receiver.payloads()}
    assert by_type["run.finished"]["data"]["attempt_id"] == attempt.pk
    assert by_type["run.finished"]["data"]["sent"] == attempt.sent_count
    for request in receiver.requests:
        headers = {key.lower(): value for key, value in request["headers"].items()}
        # The library raises on a bad or missing signature or a stale timestamp.
        assert Webhook(endpoint.secret).verify(request["body"], headers)["type"]
        assert headers["webhook-id"].startswith("msg_")
    assert WebhookMessage.objects.filter(status="delivered", response_status=204).count() == 2
    # Found again on the next pass (the window overlaps), but never sent twice.
    webhooks_pass()
    assert len(receiver.requests) == 2


def test_a_tampered_body_does_not_verify(endpoint, receiver):
    finished_run(endpoint.owner)
    webhooks_pass()
    request = receiver.requests[0]
    headers = {key.lower(): value for key, value in request["headers"].items()}
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(endpoint.secret).verify(request["body"].replace(b"run", b"Run"), headers)


def test_an_unsubscribe_is_an_event_and_others_events_are_not_sent(endpoint, receiver):
    client = ClientFactory(owner=endpoint.owner)
    stranger_client = ClientFactory()
    client_set_status(client=client, to="unsubscribed", reason=Reason.UNSUBSCRIBE)
    client_set_status(client=stranger_client, to="unsubscribed", reason=Reason.UNSUBSCRIBE)
    finished_run(UserFactory())
    webhooks_pass()
    assert [(p["type"], p["data"]["client_id"]) for p in receiver.payloads()] == [
        ("client.unsubscribed", client.pk)
    ]


def test_only_the_events_chosen_are_sent(endpoint, receiver):
    endpoint.event_types = ["client.unsubscribed"]
    endpoint.save()
    finished_run(endpoint.owner)
    webhooks_pass()
    assert receiver.requests == []


def test_failures_are_retried_with_backoff_then_failed(endpoint, receiver):
    receiver.status = 500
    endpoint.event_types = ["run.finished"]
    endpoint.save()
    finished_run(endpoint.owner)
    now = timezone.now()
    webhooks_pass(now=now)
    message = WebhookMessage.objects.get()
    assert (message.status, message.tries, message.response_status) == ("pending", 1, 500)
    assert message.response_body == "thanks"
    assert message.next_try_at == now + dt.timedelta(seconds=RETRY_DELAYS[0])
    assert messages_send_due(now=now + dt.timedelta(seconds=1)) == 0  # not due yet
    for _ in RETRY_DELAYS:
        now = max(now, message.next_try_at)
        messages_send_due(now=now)
        message.refresh_from_db()
    assert (message.status, message.tries) == ("failed", len(RETRY_DELAYS) + 1)
    assert len(receiver.requests) == len(RETRY_DELAYS) + 1


def test_a_day_of_failures_disables_the_endpoint(endpoint, receiver):
    receiver.status = 503
    finished_run(endpoint.owner)
    now = timezone.now()
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=now - DISABLE_AFTER)
    webhooks_pass(now=now)
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_reason


def test_a_success_ends_the_failing_streak(endpoint, receiver):
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now())
    finished_run(endpoint.owner)
    webhooks_pass()
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and endpoint.is_active


def test_private_addresses_are_refused_unless_allowed(endpoint, receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    finished_run(endpoint.owner)
    webhooks_pass()
    assert receiver.requests == []
    message = WebhookMessage.objects.filter(event_type="run.finished").get()
    assert "127.0.0.1" in message.error and message.status == "pending"


def test_the_schedulers_beat_sends_them(endpoint, receiver, outbox_dir):
    finished_run(endpoint.owner)
    tick(source="test")
    assert {payload["type"] for payload in receiver.payloads()} == {"run.started", "run.finished"}


def test_an_unreachable_endpoint_is_an_error_not_a_crash(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    owner = UserFactory()
    Endpoint.objects.create(owner=owner, url="http://127.0.0.1:9/", event_types=["run.finished"])
    finished_run(owner)
    webhooks_pass()
    message = WebhookMessage.objects.get()
    assert message.error and message.tries == 1 and message.response_status is None


def test_with_celery_the_beat_hands_them_to_a_worker_task(endpoint, receiver, settings):
    from config.celery import app as celery_app
    from sending import tasks

    settings.CELERY_BROKER_URL = "memory://"
    celery_app.conf.task_always_eager = True
    try:
        finished_run(endpoint.owner)
        tasks.dispatch_due()
    finally:
        celery_app.conf.task_always_eager = False
    celery_app.loader.import_default_modules()
    assert "webhooks.tasks.webhooks_send" in celery_app.tasks
    assert {payload["type"] for payload in receiver.payloads()} == {"run.started", "run.finished"}
