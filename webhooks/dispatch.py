"""The webhooks' worker side: collect what happened into messages, send those due.

Runs and unsubscribes are read from the tables the engine already writes (an
attempt's `started_at` and `finished_at`, a client's `unsubscribed_at`), past a cursor
per source: the engine knows nothing of webhooks. The window reaches back OVERLAP before
the cursor, so rows committed a little late are still found; the (endpoint, event)
unique key keeps an event found twice from being sent twice. Failed deliveries,
suppressions and confirmations have no such column: their services send a signal inside
their own transaction and `receivers` records the messages there (`messages_record`),
so an event exists exactly when what it tells of was committed.

Sending follows the Standard Webhooks specification: `webhook-id`, `webhook-timestamp`,
`webhook-signature` headers; a 2xx is success; anything else is retried on RETRY_DELAYS,
then the message is failed. An endpoint that has failed for a whole day is disabled.
"""

import datetime as dt
import json
import secrets
import time
from collections import defaultdict

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from audience.models import Client
from sending.conf import celery_enabled
from sending.models import Attempt

from .models import Endpoint, EventCursor, EventType, WebhookMessage
from .network import UnsafeAddress, post

OVERLAP = dt.timedelta(minutes=2)
# After the first try: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (the Standard Webhooks
# reference schedule), then failed.
RETRY_DELAYS = [5, 300, 1800, 7200, 18000, 36000, 36000]
DISABLE_AFTER = dt.timedelta(days=1)
CLAIM_LEASE = dt.timedelta(minutes=5)
BATCH = 500


def listeners_of(event_type: str, *, owner_id: int | None = None) -> dict[int, list[Endpoint]]:
    """The active endpoints that want this event, by owner (a few rows: read them all,
    as SQLite cannot ask inside a JSON list)."""
    by_owner = defaultdict(list)
    # A blocked owner's endpoints hear nothing (their messages would wait, unsent).
    endpoints = Endpoint.objects.filter(is_active=True, owner__is_active=True)
    if owner_id is not None:
        endpoints = endpoints.filter(owner_id=owner_id)
    for endpoint in endpoints:
        if event_type in endpoint.event_types:
            by_owner[endpoint.owner_id].append(endpoint)
    return by_owner


def _run_data(attempt: Attempt) -> dict:
    return {
        "attempt_id": attempt.pk,
        "mailing_id": attempt.mailing_id,
        "status": attempt.status,
        "trigger": attempt.trigger,
        "started_at": attempt.started_at.isoformat(),
        "finished_at": attempt.finished_at.isoformat() if attempt.finished_at else None,
        "total": attempt.total_count,
        "sent": attempt.sent_count,
        "failed": attempt.failed_count,
        "unknown": attempt.unknown_count,
    }


def _client_data(client: Client) -> dict:
    return {
        "client_id": client.pk,
        "email": client.email,
        "unsubscribed_at": client.unsubscribed_at.isoformat(),
    }


# Each source: event type, rows in a time window for some owners → (owner, when, key, data).
def _runs_started(since, until, owners):
    attempts = Attempt.objects.filter(
        started_at__gt=since, started_at__lte=until, mailing__owner_id__in=owners
    ).annotate(owner_id=F("mailing__owner_id"))
    for attempt in attempts.order_by("started_at")[:BATCH]:
        yield attempt.owner_id, attempt.started_at, f"{attempt.pk}", _run_data(attempt)


def _runs_finished(since, until, owners):
    attempts = (
        Attempt.objects.filter(
            finished_at__gt=since, finished_at__lte=until, mailing__owner_id__in=owners
        )
        .exclude(status=Attempt.Status.IN_PROGRESS)
        .annotate(owner_id=F("mailing__owner_id"))
    )
    for attempt in attempts.order_by("finished_at")[:BATCH]:
        # A resent run finishes again: that is another event.
        key = f"{attempt.pk}@{attempt.finished_at.timestamp():.6f}"
        yield attempt.owner_id, attempt.finished_at, key, _run_data(attempt)


def _clients_unsubscribed(since, until, owners):
    clients = Client.objects.filter(
        unsubscribed_at__gt=since, unsubscribed_at__lte=until, owner_id__in=owners
    )
    for client in clients.order_by("unsubscribed_at")[:BATCH]:
        yield client.owner_id, client.unsubscribed_at, f"{client.pk}", _client_data(client)


SOURCES = {
    EventType.RUN_STARTED: _runs_started,
    EventType.RUN_FINISHED: _runs_finished,
    EventType.CLIENT_UNSUBSCRIBED: _clients_unsubscribed,
}


def messages_record(
    event_type: str, listeners: dict[int, list[Endpoint]], events, *, now: dt.datetime
) -> int:
    """One message per event (owner id, when, key, data) and endpoint of its owner that
    listens; an event already recorded for an endpoint is not recorded again."""
    messages = [
        WebhookMessage(
            endpoint=endpoint,
            event_key=f"{event_type}:{key}",
            event_type=event_type,
            msg_id=f"msg_{secrets.token_hex(12)}",
            payload={"type": event_type, "timestamp": when.isoformat(), "data": data},
            next_try_at=now,
        )
        for owner_id, when, key, data in events
        for endpoint in listeners.get(owner_id, ())
        if when >= endpoint.created_at
    ]
    return len(WebhookMessage.objects.bulk_create(messages, ignore_conflicts=True))


def events_collect(*, now: dt.datetime | None = None) -> int:
    """Turn what happened since the last pass into messages for the endpoints that listen."""
    now = now or timezone.now()
    made = 0
    for event_type, source in SOURCES.items():
        cursor, _created = EventCursor.objects.get_or_create(
            name=event_type, defaults={"position": now}
        )
        listeners = listeners_of(event_type)
        events = list(source(cursor.position - OVERLAP, now, listeners))
        made += messages_record(event_type, listeners, events, now=now)
        position = max([cursor.position, *(when for _owner, when, _key, _data in events)])
        EventCursor.objects.filter(pk=cursor.pk).update(position=position)
    return made


def message_send(message: WebhookMessage, *, now: dt.datetime) -> bool:
    """One try; the message and its endpoint record how it went. True when delivered."""
    from standardwebhooks import Webhook  # here: the receivers import this module at every start

    endpoint = message.endpoint
    body = json.dumps(message.payload, separators=(",", ":"), ensure_ascii=False)
    signature = Webhook(endpoint.secret).sign(message.msg_id, now, body)
    headers = {
        "webhook-id": message.msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    message.tries += 1
    try:
        reply = post(endpoint.url, body.encode(), headers, timeout=settings.WEBHOOK_TIMEOUT)
    except UnsafeAddress as error:
        reply, message.error = None, str(error)
    except OSError as error:
        reply, message.error = None, str(error) or error.__class__.__name__
    if reply is not None:
        message.response_status, message.response_body = reply.status, reply.body
        message.error = ""
    delivered = reply is not None and 200 <= reply.status < 300
    if delivered:
        message.status, message.delivered_at = WebhookMessage.Status.DELIVERED, now
        Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
    else:
        if message.tries > len(RETRY_DELAYS):
            message.status = WebhookMessage.Status.FAILED
        else:
            message.next_try_at = now + dt.timedelta(seconds=RETRY_DELAYS[message.tries - 1])
        _endpoint_failed(endpoint, now=now)
    message.save()
    return delivered


def _endpoint_failed(endpoint: Endpoint, *, now: dt.datetime) -> None:
    Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
    Endpoint.objects.filter(
        pk=endpoint.pk, is_active=True, failing_since__lte=now - DISABLE_AFTER
    ).update(
        is_active=False,
        disabled_reason=_("Disabled after a day of failed deliveries."),
    )


def messages_send_due(*, now: dt.datetime | None = None, budget: float = 2.0) -> int:
    """Send the due messages of active endpoints, for about `budget` seconds at most."""
    started = time.monotonic()
    now = now or timezone.now()
    due = list(
        WebhookMessage.objects.filter(
            status=WebhookMessage.Status.PENDING,
            next_try_at__lte=now,
            endpoint__is_active=True,
            endpoint__owner__is_active=True,  # a blocked owner's wait until unblocked
        )
        .order_by("next_try_at")
        .values_list("pk", "next_try_at")[:100]
    )
    sent = 0
    for pk, seen in due:
        if time.monotonic() - started > budget:
            break
        # Claimed as the account emails are: only the process that moves it sends it.
        claimed = WebhookMessage.objects.filter(
            pk=pk, status=WebhookMessage.Status.PENDING, next_try_at=seen
        ).update(next_try_at=now + CLAIM_LEASE)
        if claimed:
            message = WebhookMessage.objects.select_related("endpoint").get(pk=pk)
            sent += message_send(message, now=now)
    return sent


def webhooks_pass(*, now: dt.datetime | None = None, budget: float = 2.0) -> int:
    events_collect(now=now)
    return messages_send_due(now=now, budget=budget)


def webhooks_dispatch() -> None:
    """The scheduler's periodic job (config/beat.py): a pass here, or a worker's task
    with Celery; never inside a web request."""
    if not Endpoint.objects.filter(is_active=True).exists():
        return  # the usual case: one query per beat, no task
    if celery_enabled():
        from .tasks import webhooks_send

        webhooks_send.delay()
    else:
        webhooks_pass()
