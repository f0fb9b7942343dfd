"""Hits written by the process's writer thread, not by the request: what waits survives
a database that refuses it for a while."""

import time

import pytest
from django.db import connection
from django.utils import timezone

from content.links import Kind, Signer
from mailings.tests.factories import DeliveryFactory
from tracking.intake import HitBuffer, hit_buffer
from tracking.models import Hit

pytestmark = pytest.mark.django_db(transaction=True)


def a_hit(delivery_id: int) -> Hit:
    return Hit(
        kind=Kind.OPEN,
        mode="aggregate",
        attempt_id=1,
        delivery_id=delivery_id,
        at=timezone.now(),
        head=False,
        agent="Mozilla/5.0 Firefox/133.0",
    )


def hits_within(seconds: float, expected: int) -> int:
    deadline = time.monotonic() + seconds
    while (count := Hit.objects.count()) < expected and time.monotonic() < deadline:
        time.sleep(0.02)
    return count


@pytest.mark.slow
def test_the_pixel_answers_before_its_hit_is_written_and_the_writer_writes_it(client, settings):
    settings.TRACKING_FLUSH_MS = 1000
    delivery = DeliveryFactory(sent_at=timezone.now())
    token = Signer(attempt_id=delivery.attempt_id, mode="aggregate").open_token(delivery.pk)

    assert client.get(f"/o/{token}/").status_code == 200
    assert Hit.objects.count() == 0  # waiting in the process, not written by the request
    assert hits_within(10, 1) == 1

    writer = hit_buffer.writer
    settings.TRACKING_FLUSH_MS = 0  # the writer stops, as the rest of the suite expects
    writer.join(timeout=10)
    assert hit_buffer.writer is None


def test_hits_wait_while_the_database_refuses_them(settings):
    settings.TRACKING_FLUSH_MS = 60_000  # the thread sleeps: this test flushes by hand
    buffer = HitBuffer()
    buffer.add(a_hit(1))
    buffer.add(a_hit(2))

    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE tracking_hit RENAME TO tracking_hit_away")
    try:
        assert buffer.flush() == 0
        assert len(buffer.rows) == 2
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE tracking_hit_away RENAME TO tracking_hit")
    buffer.add(a_hit(3))

    assert buffer.flush() == 3
    assert sorted(Hit.objects.values_list("delivery_id", flat=True)) == [1, 2, 3]
    assert buffer.rows == []
