import csv
import io
import time

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory, manager
from audience.client_csv import clients_import
from audience.imports import client_imports_run
from audience.models import Client, ClientImport
from audience.tests import importing
from mailings.tests.factories import ClientFactory
from workspace.forms import MAX_IMPORT_BYTES

pytestmark = pytest.mark.django_db


def upload(signed_in, content: str | bytes, name: str = "clients.csv", **changes):
    """Upload as a browser does, take the columns as proposed (or `changes`), let a
    worker import it, and open the result page."""
    data = content.encode() if isinstance(content, str) else content
    response = importing.upload(signed_in, data, name)
    if response.status_code != 302:
        return response
    confirmed = importing.confirm(signed_in, response, **changes)
    if confirmed.status_code != 302:
        return confirmed
    assert client_imports_run() == 1
    return signed_in.get(confirmed["Location"])


def test_it_imports_new_clients_and_shows_the_result(signed_in, owner):
    response = upload(
        signed_in,
        "email,full_name,comment\n"
        "anna@example.org,Анна Иванова,постоянный клиент\n"
        "boris@example.org,Борис Петров,\n",
    )
    assert response.status_code == 200
    assert response.context["job"].created_count == 2
    assert 'data-figure="created">2<' in response.content.decode()
    anna = Client.objects.get(email="anna@example.org")
    assert (anna.owner, anna.full_name, anna.comment) == (
        owner,
        "Анна Иванова",
        "постоянный клиент",
    )


def test_rows_with_errors_are_reported_with_their_line(signed_in, owner):
    response = upload(
        signed_in,
        "email,full_name,comment\n"
        "good@example.org,Хороший,\n"
        "not-an-email,Плохой,\n"
        ",Без адреса,\n"
        "good@EXAMPLE.org,Повтор,\n"
        f"long@example.org,{'Я' * 300},\n",
    )
    job = response.context["job"]
    assert job.created_count == 1
    # One problem each: four groups of one row, each with its line and address.
    assert sorted((e["count"], e["lines"], e["emails"]) for e in job.errors) == [
        (1, [3], ["not-an-email"]),
        (1, [4], []),
        (1, [5], ["good@EXAMPLE.org"]),
        (1, [6], ["long@example.org"]),
    ]
    assert job.error_count == 4
    assert job.status == ClientImport.Status.DONE_WITH_ERRORS
    assert response.content.decode().count('class="list-group-item"') == 4
    assert list(Client.objects.values_list("email", flat=True)) == ["good@example.org"]


def test_an_existing_email_in_any_case_is_updated_not_doubled(signed_in, owner):
    ClientFactory(owner=owner, email="Anna@Example.org", full_name="Анна", comment="старое")
    unsubscribed = ClientFactory(
        owner=owner, email="gone@example.org", unsubscribed_at=timezone.now()
    )
    someone_else = ClientFactory(email="anna@example.org", full_name="Не трогать")
    job = upload(
        signed_in,
        "email,full_name,comment\n"
        "anna@example.org,Анна Сергеевна,\n"  # empty comment keeps the old one
        "GONE@example.org,Ушедший,\n",
    ).context["job"]
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 2, 0)
    anna = Client.objects.get(owner=owner, email__iexact="anna@example.org")
    assert (anna.email, anna.full_name, anna.comment) == (
        "Anna@Example.org",
        "Анна Сергеевна",
        "старое",
    )
    assert Client.objects.filter(owner=owner).count() == 2
    unsubscribed.refresh_from_db()
    assert unsubscribed.unsubscribed_at is not None
    someone_else.refresh_from_db()
    assert someone_else.full_name == "Не трогать"


def test_a_second_import_of_the_same_file_changes_nothing(owner):
    data = b"email,full_name\na@example.org,A\nb@example.org,B\n"
    clients_import(owner=owner, data=data)
    result = clients_import(owner=owner, data=data)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)


@pytest.mark.parametrize(
    "payload",
    [
        "\ufeffemail,full_name,comment\r\nira@example.org,Ирина,\r\n".encode(),
        "email;full_name;comment\nira@example.org;Ирина;\n".encode("cp1251"),
        "full_name,email\nИрина,ira@example.org\n".encode(),
    ],
    ids=["utf8-bom-crlf", "excel-cp1251-semicolon", "columns-in-any-order"],
)
def test_it_reads_the_files_spreadsheets_write(owner, payload):
    result = clients_import(owner=owner, data=payload)
    assert result.created == 1 and not result.errors
    assert Client.objects.get().full_name == "Ирина"


def test_a_file_without_an_email_column_cannot_be_confirmed(signed_in):
    response = upload(signed_in, "name,phone\nАнна,123\n")
    # The mapping page again, saying what is missing; nothing queued, nothing imported.
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Выберите столбец с адресами электронной почты."
    ]
    assert 'id="mapping-problems"' in response.content.decode()
    assert ClientImport.objects.get().status == ClientImport.Status.MAPPING
    assert not Client.objects.exists()


def test_a_file_over_the_limit_is_refused(signed_in):
    response = upload(signed_in, b"email\n" + b"x" * (MAX_IMPORT_BYTES + 1))
    assert "file" in response.context["form"].errors


@pytest.mark.slow
def test_ten_thousand_rows_import_in_a_few_seconds(owner, capsys):
    ClientFactory.create_batch(50, owner=owner, comment="")  # some rows become updates
    existing = list(Client.objects.values_list("email", flat=True))
    lines = ["email,full_name,comment"]
    lines += [f"{email.upper()},Обновлённый,импорт" for email in existing]
    lines += [f"person{n}@example.com,Клиент Номер {n},строка {n}" for n in range(10_000 - 50)]
    data = "\n".join(lines).encode()

    started = time.perf_counter()
    result = clients_import(owner=owner, data=data)
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = clients_import(owner=owner, data=data)
    second = time.perf_counter() - started

    started = time.perf_counter()
    renamed = clients_import(owner=owner, data=data.replace("Клиент".encode(), "Гость".encode()))
    third = time.perf_counter() - started

    with capsys.disabled():
        print(
            f"\n10,000-row import: {first:.2f}s (9,950 new + 50 updated); "
            f"{second:.2f}s again (all unchanged); {third:.2f}s (9,950 updated)"
        )
    assert (result.created, result.updated, len(result.errors)) == (9_950, 50, 0)
    assert again.unchanged == 10_000
    assert renamed.updated == 9_950
    assert Client.objects.filter(owner=owner, full_name__startswith="Гость").count() == 9_950
    assert Client.objects.filter(owner=owner).count() == 10_000
    assert first < 8 and third < 8


def test_export_streams_the_owners_clients_as_csv(signed_in, owner):
    ClientFactory(owner=owner, email="b@example.org", full_name="Борис", comment="=HYPERLINK()")
    ClientFactory(
        owner=owner, email="a@example.org", full_name="Анна", unsubscribed_at=timezone.now()
    )
    ClientFactory(email="stranger@example.org")
    response = signed_in.get("/clients/export/")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "email",
        "full_name",
        "comment",
        "unsubscribed_at",
        "status",
        "lists",
        "tags",
    ]
    assert [row[0] for row in rows[1:]] == ["a@example.org", "b@example.org"]
    assert rows[1][3] != "" and rows[2][3] == ""
    assert (rows[1][4], rows[2][4]) == ("unsubscribed", "active")
    # A spreadsheet must not run a cell as a formula; our own import undoes the guard.
    assert rows[2][2] == "'=HYPERLINK()"


def test_export_then_import_round_trips(owner):
    other = UserFactory()
    ClientFactory(owner=owner, email="x@example.org", full_name="Икс", comment="-минус")
    from django.test import Client as Browser

    browser = Browser()
    browser.force_login(owner)
    exported = b"".join(browser.get("/clients/export/").streaming_content)
    result = clients_import(owner=other, data=exported)
    assert result.created == 1
    copy = Client.objects.get(owner=other)
    assert (copy.email, copy.full_name, copy.comment) == ("x@example.org", "Икс", "-минус")


def test_a_manager_may_export_everyone_but_not_import(csrf_client):
    ClientFactory(email="one@example.org")
    boss = manager()
    csrf_client.force_login(boss)
    text = b"".join(csrf_client.get("/clients/export/").streaming_content).decode("utf-8-sig")
    assert "one@example.org" in text and text.splitlines()[0].endswith(',"owner"')
    assert csrf_client.get("/clients/import/").status_code == 403
