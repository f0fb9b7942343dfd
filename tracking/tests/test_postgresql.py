"""On PostgreSQL, in a process of its own as in production: hits wait in the process and
its writer thread puts them in the database; a clean exit writes what still waits."""

import json
import subprocess
import sys

import psycopg
import pytest

from sending.tests.conftest import postgres_database  # noqa: F401 (a fixture)
from sending.tests.processes import ROOT, django_env

SCRIPT = """
import datetime as dt, json, time
import django
django.setup()
from django.conf import settings
from django.test import Client
from django.utils import timezone
from mailings.tests.factories import DeliveryFactory
from sending.models import Attempt
from tracking.events import hits_fold
from content.links import Signer
from content.models import Link
from tracking.models import Hit

delivery = DeliveryFactory(sent_at=timezone.now() - dt.timedelta(hours=1))
link = Link.objects.create(attempt=delivery.attempt, url="https://shop.example/", url_hash="h")
signer = Signer(attempt_id=delivery.attempt_id, mode="recipient")
browser = Client()
agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"

settings.TRACKING_FLUSH_MS = 50
for _ in range(3):
    click = browser.get(f"/l/{signer.click_token(delivery.pk, link.pk)}/", HTTP_USER_AGENT=agent)
    browser.get(f"/o/{signer.open_token(delivery.pk)}/", HTTP_USER_AGENT=agent)
deadline = time.monotonic() + 10
while Hit.objects.count() < 2 and time.monotonic() < deadline:
    time.sleep(0.02)
written = Hit.objects.count()
hits_fold()
attempt = Attempt.objects.get(pk=delivery.attempt_id)

# The writer now sleeps for a minute: a new hit waits in the process until it exits.
settings.TRACKING_FLUSH_MS = 60_000
time.sleep(0.3)
browser.get(f"/o/{signer.open_token(delivery.pk)}/", HTTP_USER_AGENT=agent + " again")
print(json.dumps({
    "location": click["Location"], "written": written, "opens": attempt.open_count,
    "clicks": attempt.click_count, "left": Hit.objects.count(),
}))
"""


@pytest.mark.services
def test_hits_are_written_by_the_processs_writer_and_at_its_exit(postgres_database):  # noqa: F811
    env = django_env(
        DATABASE_URL=postgres_database,
        DJANGO_SETTINGS_MODULE="config.test_settings",
        ALLOWED_HOSTS="testserver",
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures == {
        "location": "https://shop.example/",
        "written": 2,  # the replays within the guard's seconds were not kept
        "opens": 1,
        "clicks": 1,
        "left": 0,  # the last hit still waited in the process
    }
    with psycopg.connect(postgres_database) as database:
        (after_exit,) = database.execute("SELECT count(*) FROM tracking_hit").fetchone()
    assert after_exit == 1
