"""On PostgreSQL, outside a test transaction as in production: the hit goes in with one
statement that commits asynchronously, and nothing else of the connection does."""

import json
import subprocess
import sys

import pytest

from sending.tests.conftest import postgres_database  # noqa: F401 (a fixture)
from sending.tests.processes import ROOT, django_env

SCRIPT = """
import datetime as dt, json
import django
django.setup()
from django.db import connection
from django.test import Client
from django.utils import timezone
from mailings.tests.factories import DeliveryFactory
from sending.models import Attempt
from tracking.events import hits_fold
from tracking.models import Hit, Link
from tracking.tokens import Signer

delivery = DeliveryFactory(sent_at=timezone.now() - dt.timedelta(hours=1))
link = Link.objects.create(attempt=delivery.attempt, url="https://shop.example/", url_hash="h")
signer = Signer(attempt_id=delivery.attempt_id, mode="recipient")
browser = Client()
agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"
for _ in range(3):
    click = browser.get(f"/l/{signer.click_token(delivery.pk, link.pk)}/", HTTP_USER_AGENT=agent)
    browser.get(f"/o/{signer.open_token(delivery.pk)}/", HTTP_USER_AGENT=agent)
hits = Hit.objects.count()
with connection.cursor() as cursor:
    cursor.execute("SHOW synchronous_commit")
    durability = cursor.fetchone()[0]
hits_fold()
attempt = Attempt.objects.get(pk=delivery.attempt_id)
print(json.dumps({
    "location": click["Location"], "hits": hits, "durability": durability,
    "opens": attempt.open_count, "clicks": attempt.click_count, "left": Hit.objects.count(),
}))
"""


@pytest.mark.services
def test_hits_are_written_and_folded_on_postgresql(postgres_database):  # noqa: F811
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
        "hits": 2,  # the replays within the guard's seconds wrote nothing
        "durability": "on",  # the hit's asynchronous commit did not outlive its statement
        "opens": 1,
        "clicks": 1,
        "left": 0,
    }
