"""Client imports in the background: the upload returns at once, a worker imports it,
and the result page follows the rows as they are read."""

import datetime as dt
import signal
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone

from accounts.tests.factories import UserFactory, manager
from audience import imports
from audience.client_csv import clients_import
from audience.imports import client_import_process, client_imports_run
from audience.models import Client, ClientImport
from audience.tests.importing import confirm, queued_import, upload
from config.celery import app as celery_app
from mailings.tests.factories import mailing_to
from sending.heartbeat import last_beat
from sending.models import Attempt, Delivery
from sending.passes import run_pass
from sending.tests.processes import manage, wait_for


def csv_of(count: int, *, prefix: str = "c", bad_every: int = 0) -> bytes:
    lines = ["email,full_name,comment"]
    for n in range(count):
        email = f"not-an-email-{n}" if bad_every and n % bad_every == 0 else f"{prefix}{n}@ex.org"
        lines.append(f"{email},Клиент {n},")
    return ("\n".join(lines) + "\n").encode()


def post_upload(csrf_client, data: bytes, name: str = "clients.csv"):
    """Upload and import with the columns as proposed: the mapping page's answer."""
    return confirm(csrf_client, upload(csrf_client, data, name))


@pytest.mark.django_db
def test_the_upload_returns_at_once_and_a_worker_imports_it(csrf_client):
    owner = UserFactory()
    csrf_client.force_login(owner)
    uploaded = upload(csrf_client, csv_of(3), name="список.csv")
    job = ClientImport.objects.get()
    # The columns are matched first: nothing waits for a worker yet.
    assert uploaded["Location"] == f"/clients/import/{job.pk}/columns/"
    assert job.status == ClientImport.Status.MAPPING
    assert client_imports_run() == 0
    response = confirm(csrf_client, uploaded)

    job.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == f"/clients/import/{job.pk}/"
    # Nothing is imported inside the request.
    assert (job.owner, job.status, job.file_name, job.total_rows) == (
        owner,
        ClientImport.Status.QUEUED,
        "список.csv",
        3,
    )
    assert not Client.objects.exists()
    page = csrf_client.get(response["Location"])
    assert 'id="import-waiting"' in page.content.decode()
    assert csrf_client.get(f"/clients/import/{job.pk}/progress/").json()["status"] == "queued"

    assert client_imports_run() == 1
    assert Client.objects.filter(owner=owner).count() == 3
    progress = csrf_client.get(f"/clients/import/{job.pk}/progress/").json()
    assert progress | {"id": None} == {
        "id": None,
        "status": "done",
        "status_display": "Готово",
        "over": True,
        "rows_done": 3,
        "total_rows": 3,
        "percent": 100.0,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "suppressed": 0,
        "errors": 0,
        "failure": "",
    }
    job.refresh_from_db()
    assert job.finished_at is not None and bytes(job.data) == b""  # the file is not kept
    assert client_imports_run() == 0  # done once


@pytest.mark.django_db
def test_row_errors_are_written_in_the_uploaders_language(csrf_client):
    csrf_client.force_login(UserFactory())
    csrf_client.cookies["django_language"] = "en"
    post_upload(csrf_client, b"email\nnot-an-email\n")
    client_imports_run()
    job = ClientImport.objects.get()
    assert job.language == "en"
    assert job.errors == [
        {
            "reason": "This is not a valid email address.",
            "count": 1,
            "lines": [2],
            "emails": ["not-an-email"],
            "missing_list": "",
        }
    ]


@pytest.mark.django_db
def test_rows_done_are_written_while_the_file_is_read(monkeypatch):
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 0)
    job = queued_import(owner=UserFactory(), data=csv_of(2500))
    seen = []
    real_update = imports._Progress.__call__

    def spy(progress, rows):
        real_update(progress, rows)
        seen.append(ClientImport.objects.get(pk=job.pk).rows_done)

    monkeypatch.setattr(imports._Progress, "__call__", spy)
    client_import_process(job_id=job.pk)
    assert seen == [1000, 2000, 2500]
    assert Client.objects.count() == 2500


@pytest.mark.django_db
def test_a_client_added_while_the_file_is_read_is_not_doubled(monkeypatch):
    """Another import (or the form) adds an address of the file meanwhile: the unique
    constraint stops the insert and the file is read again against the new state."""
    owner = UserFactory()
    job = queued_import(owner=owner, data=csv_of(1500))
    real_update = imports._Progress.__call__

    def add_one_meanwhile(progress, rows):
        if not Client.objects.filter(email__iexact="c1400@ex.org").exists():
            Client.objects.create(owner=owner, email="C1400@ex.org", full_name="Уже есть")
        real_update(progress, rows)

    monkeypatch.setattr(imports._Progress, "__call__", add_one_meanwhile)
    assert client_import_process(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "done"
    assert Client.objects.filter(owner=owner).count() == 1500
    assert Client.objects.get(email__iexact="c1400@ex.org").full_name == "Клиент 1400"


@pytest.mark.django_db
def test_an_import_is_claimed_once_and_a_lost_one_is_taken_up_again():
    job = queued_import(owner=UserFactory(), data=csv_of(2))
    ClientImport.objects.filter(pk=job.pk).update(status="running", updated_at=timezone.now())
    # Another worker has it and is alive: hands off.
    assert not client_import_process(job_id=job.pk)
    assert client_imports_run() == 0
    # Its worker died (the stamp stopped moving): the next pass imports it.
    ClientImport.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - imports.IMPORT_LEASE - dt.timedelta(seconds=1)
    )
    assert client_imports_run() == 1
    job.refresh_from_db()
    assert (job.status, job.created_count) == ("done", 2)


@pytest.mark.django_db
def test_an_unreadable_file_is_refused_beside_the_field(csrf_client):
    """Read at the upload (encoding, separator, header): a file that cannot be read says
    why at once, and no job waits for columns that do not exist."""
    csrf_client.force_login(UserFactory())
    response = upload(csrf_client, b"\xff\xfe\x00\x81 binary")
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not ClientImport.objects.exists()


@pytest.mark.django_db
def test_cron_imports_waiting_files(capsys):
    job = queued_import(owner=UserFactory(), data=csv_of(4))
    call_command("send_mailings")
    job.refresh_from_db()
    assert (job.status, job.created_count) == ("done", 4)


@pytest.fixture
def eager(settings):
    settings.CELERY_BROKER_URL = "memory://"
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.mark.django_db
def test_with_celery_the_upload_becomes_a_task_on_commit(
    csrf_client, eager, django_capture_on_commit_callbacks
):
    csrf_client.force_login(UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        post_upload(csrf_client, csv_of(5))
    assert ClientImport.objects.get().status == "done"
    assert Client.objects.count() == 5
    celery_app.loader.import_default_modules()
    assert "mailings.tasks.client_import_process" in celery_app.tasks
    sweep = celery_app.conf.beat_schedule["client-imports"]
    assert sweep["task"] == "mailings.tasks.client_imports_run"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_scheduler_is_woken_by_an_upload(csrf_client):
    # An hour between passes: an import done at all is one the upload woke it up for.
    scheduler = manage("run_scheduler", "--interval", "3600")
    try:
        wait_for(lambda: last_beat(), timeout=20, what="the scheduler's heartbeat")
        csrf_client.force_login(UserFactory())
        post_upload(csrf_client, csv_of(10))
        wait_for(
            lambda: ClientImport.objects.filter(status="done").exists(),
            timeout=60,
            what="the import done by the scheduler",
        )
        assert Client.objects.count() == 10
    finally:
        scheduler.send_signal(signal.SIGTERM)
        out, err = scheduler.communicate(timeout=10)
    assert scheduler.returncode == 0, err


@pytest.mark.django_db(transaction=True)
def test_reading_a_file_leaves_the_database_free_for_other_writers():
    """The import writes in one short transaction at the end: while it reads (the slow
    part), another process may write. On SQLite a transaction around the read would
    hold the write lock, and this writer, waiting at most 0.2 s, would fail."""
    owner, other = UserFactory(), UserFactory()
    written = []

    def write_elsewhere(rows: int) -> None:
        def write() -> None:
            try:
                if connection.vendor == "sqlite":
                    with connection.cursor() as cursor:
                        cursor.execute("PRAGMA busy_timeout = 200")
                Client.objects.create(owner=other, email=f"meanwhile{rows}-{len(written)}@ex.org")
                written.append(rows)
            finally:
                connection.close()

        thread = threading.Thread(target=write)
        thread.start()
        thread.join()

    result = clients_import(owner=owner, data=csv_of(2000), on_progress=write_elsewhere)
    assert result.created == 2000
    assert written == [1000, 2000, 2000]
    assert Client.objects.filter(owner=other).count() == 3


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_imports_and_a_sending_run_at_once_all_succeed(settings, tmp_path):
    """On the SQLite file, WAL and a busy timeout let writers take turns instead of
    failing with "database is locked"; on PostgreSQL this holds anyway."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    settings.EMAIL_URL = ""
    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"
    settings.SEND_RATE = 0
    first, second = UserFactory(), UserFactory()
    jobs = [
        queued_import(owner=first, data=csv_of(20_000, prefix="a")),
        queued_import(owner=second, data=csv_of(20_000, prefix="b", bad_every=100)),
    ]
    mailing = mailing_to(300)
    start = threading.Barrier(3)
    failures = []

    def work(task):
        try:
            start.wait()
            task()
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(repr(error))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=(lambda j=job: client_import_process(job_id=j.pk),))
        for job in jobs
    ] + [threading.Thread(target=work, args=(run_pass,))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    assert [ClientImport.objects.get(pk=job.pk).status for job in jobs] == [
        "done",
        "done_with_errors",
    ]
    assert Client.objects.filter(owner=first).count() == 20_000
    assert Client.objects.filter(owner=second).count() == 19_800
    assert ClientImport.objects.get(pk=jobs[1].pk).error_count == 200
    attempt = Attempt.objects.get(mailing=mailing)
    assert attempt.status == Attempt.Status.SUCCESS
    assert Delivery.objects.filter(attempt=attempt, status="sent").count() == 300


@pytest.mark.django_db
def test_only_the_owner_and_managers_see_an_import():
    job = queued_import(owner=UserFactory(), data=csv_of(1))
    browser = HttpClient()
    for user, expected in [(job.owner, 200), (UserFactory(), 404), (manager(), 200)]:
        browser.force_login(user)
        assert browser.get(f"/clients/import/{job.pk}/").status_code == expected
        assert browser.get(f"/clients/import/{job.pk}/progress/").status_code == expected


@pytest.mark.django_db
def test_the_import_page_links_the_owners_recent_imports(client):
    owner = UserFactory()
    mine = queued_import(owner=owner, data=csv_of(2), file_name="мои.csv")
    queued_import(owner=UserFactory(), data=csv_of(2), file_name="чужие.csv")
    client_imports_run()
    client.force_login(owner)
    page = client.get("/clients/import/").content.decode()
    assert f'href="/clients/import/{mine.pk}/"' in page and "мои.csv" in page
    assert "чужие.csv" not in page
