"""Imports as people have them: the exports of 1C/Excel and Mailchimp read as they are,
each column proposed a target by its name and changed or skipped by the user, what the
import creates said before it is done, row errors grouped, and our own export imported
back with its lists and tags."""

import csv
import datetime as dt
import io
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from audience.client_csv import MAX_NEW_LISTS, Target, cell_names, names_cell, plan_upload
from audience.imports import client_imports_run
from audience.models import Client, ClientImport, MailingList, Membership
from audience.services import client_tags_set
from audience.tests import importing
from audience.tests.factories import MembershipFactory
from mailings.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

EXPORTS = Path(__file__).parent / "exports"
ONE_C = (EXPORTS / "1c_clients.csv").read_bytes()
MAILCHIMP = (EXPORTS / "mailchimp_subscribed_members.csv").read_bytes()


def mapping_page(browser, data: bytes, name: str = "clients.csv"):
    uploaded = importing.upload(browser, data, name)
    assert uploaded.status_code == 302, uploaded.context["form"].errors
    page = browser.get(uploaded["Location"])
    assert page.status_code == 200
    return uploaded["Location"], page


def proposed(page) -> dict[str, str]:
    """Each column's name → the target the page proposes for it."""
    return {field.label: field.value() for field in page.context["form"].column_fields()}


def import_with(browser, url: str, page, **changes):
    """Press Import on the mapping page (after `changes`), let the worker run, open the job."""
    response = browser.submit(url, importing.mapping_data(page, **changes))
    assert response.status_code == 302, response.context["form"].errors
    assert client_imports_run() == 1
    return browser.get(response["Location"])


def test_the_1c_export_in_windows_1251_with_semicolons_is_read_as_it_is(signed_in, owner):
    assert ONE_C.decode("cp1251").startswith("E-mail;Имя;Город")  # the real thing
    url, page = mapping_page(signed_in, ONE_C, "Клиенты 1С.csv")
    html = page.content.decode()
    assert "Windows-1251" in html and "точками с запятой" in html
    assert proposed(page) == {"E-mail": "email", "Имя": "full_name", "Город": "field"}
    assert "Своё поле {{ gorod }}" in html
    assert "Иван Петров" in html  # the first values under each column

    result = import_with(signed_in, url, page)
    job = result.context["job"]
    assert (job.status, job.created_count, job.error_count) == ("done_with_errors", 4, 1)
    ivan = Client.objects.get(owner=owner, email="ivan.petrov@example.ru")
    assert (ivan.full_name, ivan.attributes) == ("Иван Петров", {"gorod": "Москва"})
    assert Client.objects.get(email="Sergey.K@Example.RU").attributes == {"gorod": "Казань"}
    assert Client.objects.get(email="anna.sokolova@example.ru").attributes == {}
    assert job.errors[0]["emails"] == ["не-адрес"] and job.errors[0]["lines"] == [5]


def test_the_mailchimp_export_is_read_as_it_is(signed_in, owner):
    url, page = mapping_page(signed_in, MAILCHIMP, "subscribed_members_export.csv")
    targets = proposed(page)
    assert {
        name: targets[name]
        for name in ("Email Address", "First Name", "Last Name", "NOTES", "TAGS", "TIMEZONE")
    } == {
        "Email Address": "email",
        "First Name": "full_name",
        "Last Name": "full_name",
        "NOTES": "comment",
        "TAGS": "tags",
        "TIMEZONE": "time_zone",
    }
    assert targets["Phone Number"] == targets["MEMBER_RATING"] == "field"
    # The page says which tags the import creates before anything is written.
    creates = page.content.decode().split('id="import-creates"')[1].split("</div>")[0]
    assert "«Customers», «VIP», «Покупатели»" in creates

    job = import_with(signed_in, url, page).context["job"]
    assert (job.status, job.created_count, job.error_count) == ("done", 3, 0)
    maria = Client.objects.get(owner=owner, email="maria@example.com")
    assert (maria.full_name, maria.comment) == ("Maria Ivanova", "Met at the fair")
    assert sorted(maria.tags.values_list("name", flat=True)) == ["VIP", "Покупатели"]
    # No time zone of its own on a client yet: kept as a field the messages can use.
    assert maria.attributes["time_zone"] == "Europe/Moscow"
    assert maria.attributes["phone_number"] == "+7 495 000-00-00"
    assert Client.objects.get(email="dmitry@example.com").full_name == "Дмитрий"


@pytest.mark.parametrize(
    "header, expected",
    [
        ("email", "email"),
        ("E-mail", "email"),
        ("Почта", "email"),
        ("Эл. почта", "email"),
        ("Email Address", "email"),
        ("Имя", "full_name"),
        ("ФИО", "full_name"),
        ("Full Name", "full_name"),
        ("first_name", "full_name"),
        ("Фамилия", "full_name"),
        ("TAGS", "tags"),
        ("Теги", "tags"),
        ("lists", "lists"),
        ("Списки", "lists"),
        ("Time zone", "time_zone"),
        ("Часовой пояс", "time_zone"),
        ("Город", "field"),
        ("status", "skip"),
        ("unsubscribed_at", "skip"),
        ("Контрагент", "full_name"),
        ("???", "skip"),
    ],
)
def test_a_column_is_proposed_by_its_name_in_russian_or_english(header, expected):
    email_first = header in ("email", "E-mail", "Почта", "Эл. почта", "Email Address")
    columns = [header] if email_first else ["email", header]
    data = (",".join(columns) + "\n" + ",".join(["a@example.org", "x"][: len(columns)])).encode()
    plan, _samples = plan_upload(data)
    assert plan.targets[-1] == expected


def test_an_email_column_named_otherwise_is_found_by_its_values():
    plan, _samples = plan_upload("Контакт;Клиент\nanna@example.org;Анна\n".encode("cp1251"))
    assert plan.targets == [Target.EMAIL, Target.FIELD]


def test_the_users_changes_and_skips_are_honoured(signed_in, owner):
    data = "email,Имя,Город,Телефон\nanna@example.org,Анна,Казань,+7 900\n".encode()
    url, page = mapping_page(signed_in, data)
    assert proposed(page) == {
        "email": "email",
        "Имя": "full_name",
        "Город": "field",
        "Телефон": "field",
    }
    import_with(signed_in, url, page, column_1="field", column_2="skip", column_3="comment")
    anna = Client.objects.get(owner=owner)
    assert (anna.full_name, anna.comment, anna.attributes) == ("", "+7 900", {"imya": "Анна"})
    assert ClientImport.objects.get().mapping["targets"] == ["email", "field", "skip", "comment"]


def test_a_mapping_that_cannot_be_imported_says_why_and_queues_nothing(signed_in):
    url, page = mapping_page(signed_in, "email,Город,город\na@example.org,1,2\n".encode())
    response = signed_in.submit(url, importing.mapping_data(page, column_0="skip"))
    assert response.status_code == 200
    problems = response.context["form"].non_field_errors()
    assert problems == [
        "Выберите столбец с адресами электронной почты.",
        "Столбцы «Город» и «город» дают одно и то же поле «gorod»: пропустите один из них.",
    ]
    assert ClientImport.objects.get().status == ClientImport.Status.MAPPING
    assert client_imports_run() == 0


def five_hundred_rows_for_a_missing_list() -> bytes:
    lines = ["email,full_name,lists"]
    lines += [f"buyer{n}@example.org,Покупатель {n},Покупатели" for n in range(499)]
    lines += ["reader@example.org,Читатель,"]
    return ("\n".join(lines) + "\n").encode()


def test_a_missing_list_is_one_grouped_line_not_one_per_row(signed_in, owner):
    url, page = mapping_page(signed_in, five_hundred_rows_for_a_missing_list())
    assert "список «Покупатели» (499 строк)" in page.content.decode()
    result = import_with(signed_in, url, page, create_lists=False)

    job = result.context["job"]
    assert (job.status, job.created_count, job.error_count) == ("done_with_errors", 1, 499)
    assert job.errors == [
        {
            "reason": "У вас нет списка «Покупатели».",
            "count": 499,
            "lines": [2, 3, 4, 5, 6],
            "emails": [f"buyer{n}@example.org" for n in range(5)],
            "missing_list": "Покупатели",
        }
    ]
    html = result.content.decode()
    errors = html.split('id="import-errors"')[1].split("</ul>")[0]
    assert errors.count('class="list-group-item"') == 1
    assert "499 строк:" in errors and "У вас нет списка «Покупатели»." in errors
    # Create it: the list's form comes with its name filled in.
    assert f'href="/lists/new/?name={quote("Покупатели")}"' in errors
    form = signed_in.get(f"/lists/new/?name={quote('Покупатели')}").context["form"]
    assert form["name"].value() == "Покупатели"
    assert html.count("buyer") == 5  # a few examples, never 499
    assert not MailingList.objects.exists()


def test_a_missing_list_is_created_on_confirmation(signed_in, owner):
    url, page = mapping_page(signed_in, five_hundred_rows_for_a_missing_list())
    result = import_with(signed_in, url, page)
    job = result.context["job"]
    assert (job.status, job.created_count, job.lists_created) == ("done", 500, ["Покупатели"])
    assert "Созданы списки: «Покупатели»" in result.content.decode()
    buyers = MailingList.objects.get(owner=owner, name="Покупатели")
    assert buyers.memberships.filter(status=Membership.Status.SUBSCRIBED).count() == 499


def test_a_lists_column_chosen_on_the_page_shows_what_it_creates_before_importing(signed_in):
    data = "email,Город\na@example.org,Казань\nb@example.org,Омск\n".encode()
    url, page = mapping_page(signed_in, data)
    changed = importing.mapping_data(page, column_1="lists")
    response = signed_in.submit(url, changed)
    # Not queued: the page first shows the lists the new column would create.
    assert response.status_code == 200
    assert "список «Казань» (1 строка)" in response.content.decode()
    assert ClientImport.objects.get().status == ClientImport.Status.MAPPING
    again = signed_in.submit(url, importing.mapping_data(response))
    assert again.status_code == 302
    client_imports_run()
    assert sorted(MailingList.objects.values_list("name", flat=True)) == ["Казань", "Омск"]


def test_a_column_naming_too_many_new_lists_is_questioned(signed_in):
    lines = ["email,lists"] + [f"c{n}@example.org,Список {n}" for n in range(MAX_NEW_LISTS + 1)]
    url, page = mapping_page(signed_in, "\n".join(lines).encode())
    response = signed_in.submit(url, importing.mapping_data(page))
    assert response.status_code == 200
    assert "не больше 20" in response.context["form"].non_field_errors()[0]
    assert not MailingList.objects.exists()


def test_export_then_import_round_trips_lists_and_tags(signed_in, owner, csrf_client):
    news = MailingList.objects.create(owner=owner, name="Новости")
    wholesale = MailingList.objects.create(owner=owner, name="Опт, розница")
    gone = MailingList.objects.create(owner=owner, name="Ушёл")
    # Fields named like columns an import knows stay fields on the way back.
    fields = {"city": "Казань", "name": "Аня", "notes": "звонить вечером"}
    anna = ClientFactory(owner=owner, email="anna@example.org", full_name="Анна", attributes=fields)
    MembershipFactory(client=anna, mailing_list=news)
    MembershipFactory(client=anna, mailing_list=wholesale)
    # A list the client left is not exported: an import would put it back.
    MembershipFactory(client=anna, mailing_list=gone, status=Membership.Status.UNSUBSCRIBED)
    client_tags_set(client=anna, names=["vip", 'скидка "10%"'])
    ClientFactory(owner=owner, email="boris@example.org")

    exported = b"".join(signed_in.get("/clients/export/").streaming_content)
    rows = list(csv.DictReader(io.StringIO(exported.decode("utf-8-sig"))))
    assert rows[0]["lists"] == 'Новости, "Опт, розница"'
    assert cell_names(rows[0]["lists"]) == ["Новости", "Опт, розница"]
    assert rows[1]["lists"] == rows[1]["tags"] == ""

    other = UserFactory()
    csrf_client.force_login(other)
    url, page = mapping_page(csrf_client, exported, "clients.csv")
    assert proposed(page)["lists"] == "lists" and proposed(page)["tags"] == "tags"
    assert proposed(page)["status"] == proposed(page)["unsubscribed_at"] == "skip"
    import_with(csrf_client, url, page)

    copy = Client.objects.get(owner=other, email="anna@example.org")
    lists = MailingList.objects.filter(memberships__client=copy)
    assert sorted(lists.values_list("name", flat=True)) == ["Новости", "Опт, розница"]
    assert sorted(copy.tags.values_list("name", flat=True)) == ["vip", 'скидка "10%"']
    assert (copy.full_name, copy.attributes) == ("Анна", fields)
    assert not Client.objects.get(owner=other, email="boris@example.org").tags.exists()


@pytest.mark.parametrize(
    "names", [["vip"], ["a, b", "c"], ['say "hi"', "x;y", "a|b"], ["Покупатели", "Опт"]]
)
def test_names_written_to_a_cell_read_back(names):
    assert cell_names(names_cell(names)) == names


def test_mailchimps_quoted_tags_are_read_as_names():
    assert cell_names('"Customers","VIP"') == ["Customers", "VIP"]
    assert cell_names("vip; опт | b2b") == ["vip", "опт", "b2b"]


@pytest.mark.parametrize(
    "status, label, badge",
    [
        ("mapping", "Ждёт сопоставления столбцов", "text-bg-info"),
        ("queued", "В очереди", "text-bg-secondary"),
        ("running", "Импортируется", "text-bg-primary"),
        ("done", "Готово", "text-bg-success"),
        ("done_with_errors", "Готово, есть пропущенные строки", "text-bg-warning"),
        ("failed", "Не импортировано", "text-bg-danger"),
    ],
)
def test_an_import_has_its_own_statuses_and_badges(signed_in, owner, status, label, badge):
    job = ClientImport.objects.create(owner=owner, data=b"", status=status, file_name="c.csv")
    html = signed_in.get(f"/clients/import/{job.pk}/").content.decode()
    assert f'<span class="badge {badge}" data-field="status_display" id="import-status">' in html
    assert f">{label}</span>" in html
    assert "Не доставлено" not in html  # a delivery's word
    listed = signed_in.get("/clients/import/").content.decode()
    assert f'<span class="badge {badge}">{label}</span>' in listed


def test_a_job_waiting_for_its_columns_links_its_mapping_page(signed_in):
    url, _page = mapping_page(signed_in, b"email\na@example.org\n")
    job = ClientImport.objects.get()
    html = signed_in.get(f"/clients/import/{job.pk}/").content.decode()
    assert f'href="{url}"' in html


def test_a_confirmed_mapping_page_leads_to_the_job(signed_in):
    url, page = mapping_page(signed_in, b"email\na@example.org\n")
    signed_in.submit(url, importing.mapping_data(page))
    job = ClientImport.objects.get()
    assert job.status == ClientImport.Status.QUEUED
    # A second press (another tab, a double click) queues nothing twice.
    response = signed_in.submit(url, importing.mapping_data(page))
    assert response["Location"] == f"/clients/import/{job.pk}/"
    assert signed_in.get(url)["Location"] == f"/clients/import/{job.pk}/"


def test_only_the_owner_matches_the_columns(signed_in, csrf_client):
    url, _page = mapping_page(signed_in, b"email\na@example.org\n")
    csrf_client.force_login(UserFactory())
    assert csrf_client.get(url).status_code == 404


def test_an_upload_left_on_its_mapping_page_is_let_go_after_two_days(signed_in):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        mapping_page(signed_in, b"email\na@example.org\n")
    job = ClientImport.objects.get()
    with time_machine.travel(dt.datetime(2026, 3, 4, 8, 59, tzinfo=dt.UTC), tick=False):
        client_imports_run()
        assert ClientImport.objects.get().status == ClientImport.Status.MAPPING
    with time_machine.travel(dt.datetime(2026, 3, 4, 9, 1, tzinfo=dt.UTC), tick=False):
        client_imports_run()
    job.refresh_from_db()
    assert (job.status, bytes(job.data)) == (ClientImport.Status.FAILED, b"")
    assert job.failure.startswith("Столбцы не были сопоставлены за два дня")
    assert not Client.objects.exists()


def test_two_email_columns_or_two_time_zones_are_refused_once_each(signed_in):
    data = b"email,mail,tz,time zone\na@example.org,b@example.org,UTC,UTC\n"
    url, page = mapping_page(signed_in, data)
    changes = {"column_1": "email", "column_2": "time_zone", "column_3": "time_zone"}
    response = signed_in.submit(url, importing.mapping_data(page, **changes))
    assert response.context["form"].non_field_errors() == [
        "Только один столбец может содержать адреса электронной почты.",
        "Столбцы «tz» и «time zone» дают одно и то же поле «time_zone»: пропустите один из них.",
    ]


def test_a_bare_column_of_addresses_imports_its_first_row_too(signed_in, owner):
    url, page = mapping_page(signed_in, b"anna@example.org\nboris@example.org\n")
    assert proposed(page) == {"Столбец 1": "email"}
    job = import_with(signed_in, url, page).context["job"]
    assert job.created_count == 2
    emails = Client.objects.filter(owner=owner).values_list("email", flat=True)
    assert sorted(emails) == ["anna@example.org", "boris@example.org"]


def test_a_column_of_thousands_of_names_shows_a_few_and_counts_the_rest(signed_in):
    lines = ["email,lists,tags"] + [f"c{n}@example.org,L{n},T{n}" for n in range(300)]
    _url, page = mapping_page(signed_in, "\n".join(lines).encode())
    creates = page.content.decode().split('id="import-creates"')[1].split("</ul>")[0]
    assert creates.count("<li>") == 52  # 50 lists, "and 250 more lists", the tags
    assert "и ещё 250 списков" in creates and "и ещё 250" in creates.split("метки")[1]
