"""Every CSV export goes through one writer (config/csv_export.py) that keeps spreadsheets
from running cells, whether they split the file at commas or at semicolons (issue 23:
`x;=cmd|' /C calc'!A0` ran in Excel with `;` lists, the Russian default)."""

import csv
import io

import pytest
from django.test import Client as Browser

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory, manager
from audience.client_csv import clients_import
from audience.models import Client
from config.csv_export import FORMULA_PREFIXES, csv_lines
from config.tests.test_hostile_csv import formula_starts
from mailings.tests.factories import AttemptFactory, ClientFactory, DeliveryFactory, MailingFactory

pytestmark = pytest.mark.django_db

FORMULA_EMAIL = "=cmd|'/ccalc'!a0@example.com"
HOSTILE = "x;=cmd|' /C calc'!A0"
HOSTILE_COMMA = "y,@SUM(1+1)*cmd|' /C calc'!A0"


def text_of(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_the_writer_neutralises_every_formula_prefix(prefix):
    lines = list(csv_lines(["a", "b"], [[f"{prefix}SUM(A1)", -5]]))
    (cell, number), *_ = csv.reader(io.StringIO(lines[1]))
    assert cell == f"'{prefix}SUM(A1)"
    assert number == "-5"
    assert lines[1].endswith(",-5\r\n")  # a number stays a number: not quoted


def test_a_formula_after_a_separator_inside_a_cell_is_neutralised():
    line = list(csv_lines(["a"], [[HOSTILE], [HOSTILE_COMMA]]))
    assert line[1] == "\"x;'=cmd|' /C calc'!A0\"\r\n"
    assert line[2] == "\"y,'@SUM(1+1)*cmd|' /C calc'!A0\"\r\n"
    assert formula_starts("".join(line)) == []


def test_text_is_quoted_and_otherwise_left_alone():
    assert list(csv_lines(["a"], [["Анна 'quoted'"]]))[1] == "\"Анна 'quoted'\"\r\n"


@pytest.fixture
def formula_user(csrf_client):
    """An account signed up through the real form with an address that is a formula,
    with every text an export shows made hostile."""
    response = csrf_client.submit(
        "/accounts/signup/", {"email": FORMULA_EMAIL, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    user = User.objects.get(email=FORMULA_EMAIL.lower())
    mailing = MailingFactory(owner=user, name=HOSTILE, message__subject="+7 новости;-1")
    client = ClientFactory(
        owner=user,
        email="a@example.org",
        full_name=HOSTILE,
        comment=HOSTILE_COMMA,
        attributes={"city": HOSTILE},
    )
    attempt = AttemptFactory(mailing=mailing, server_response=f"-ERR\tbusy;{HOSTILE}")
    DeliveryFactory(attempt=attempt, client=client, server_response=HOSTILE_COMMA)
    return user


def test_the_owners_client_export_is_safe_with_both_separators(formula_user):
    browser = Browser()
    browser.force_login(formula_user)
    text = text_of(browser.get("/clients/export/"))
    assert formula_starts(text) == []
    header, row = list(csv.reader(io.StringIO(text)))
    cells = dict(zip(header, row, strict=True))
    assert cells["full_name"] == "x;'=cmd|' /C calc'!A0"
    assert cells["comment"] == "y,'@SUM(1+1)*cmd|' /C calc'!A0"
    assert cells["city"] == "x;'=cmd|' /C calc'!A0"


def test_the_client_export_imports_back_as_it_was(formula_user):
    browser = Browser()
    browser.force_login(formula_user)
    data = b"".join(browser.get("/clients/export/").streaming_content)
    other = UserFactory()
    result = clients_import(owner=other, data=data)
    assert result.created == 1 and not result.errors
    client = Client.objects.get(owner=other)
    assert (client.full_name, client.comment) == (HOSTILE, HOSTILE_COMMA)
    assert client.attributes == {"city": HOSTILE}
    # Importing it over the owner's own clients changes nothing.
    assert clients_import(owner=formula_user, data=data).unchanged == 1


def test_a_managers_all_users_client_export_is_safe(formula_user):
    browser = Browser()
    browser.force_login(manager())
    text = text_of(browser.get("/clients/export/"))
    assert formula_starts(text) == []
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][-1] == "owner"
    (row,) = [row for row in rows[1:] if row[0] == "a@example.org"]
    assert row[1] == "x;'=cmd|' /C calc'!A0"
    assert row[-1] == "'" + formula_user.email


def test_a_managers_report_export_is_safe(formula_user):
    browser = Browser()
    browser.force_login(manager())
    text = text_of(browser.get("/reports/export/"))
    assert formula_starts(text) == []
    header, row = list(csv.reader(io.StringIO(text)))
    cells = dict(zip(header, row, strict=True))
    assert cells["owner"] == "'" + formula_user.email
    assert cells["mailing"] == "x;'=cmd|' /C calc'!A0"
    assert cells["subject"] == "'+7 новости;'-1"
    assert cells["server_response"] == "'-ERR\tbusy;x;'=cmd|' /C calc'!A0"


def test_the_owners_report_export_is_safe(formula_user):
    browser = Browser()
    browser.force_login(formula_user)
    assert formula_starts(text_of(browser.get("/reports/export/"))) == []


def test_a_runs_recipient_export_is_safe(formula_user):
    attempt = formula_user.mailings.get().attempts.get()
    browser = Browser()
    browser.force_login(formula_user)
    response = browser.get(f"/mailings/{attempt.mailing_id}/runs/{attempt.pk}/export/")
    assert response.status_code == 200
    text = text_of(response)
    assert formula_starts(text) == []
    header, row = list(csv.reader(io.StringIO(text)))
    cells = dict(zip(header, row, strict=True))
    assert cells["full_name"] == "x;'=cmd|' /C calc'!A0"
    assert cells["server_response"] == "y,'@SUM(1+1)*cmd|' /C calc'!A0"
