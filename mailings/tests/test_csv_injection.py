"""Every CSV export goes through one writer that keeps spreadsheets from running cells."""

import csv
import io

import pytest
from django.test import Client as Browser

from accounts.models import User
from accounts.tests.factories import PASSWORD, manager
from mailings.csv_files import FORMULA_PREFIXES, csv_lines
from mailings.tests.factories import AttemptFactory, ClientFactory, MailingFactory

pytestmark = pytest.mark.django_db

FORMULA_EMAIL = "=cmd|'/ccalc'!a0@example.com"


def rows_of(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_the_writer_neutralises_every_formula_prefix(prefix):
    lines = list(csv_lines(["a", "b"], [[f"{prefix}SUM(A1)", -5]]))
    (cell, number), *_ = csv.reader(io.StringIO(lines[1]))
    assert cell == f"'{prefix}SUM(A1)"
    assert number == "-5"


def test_plain_text_is_left_alone():
    assert list(csv_lines(["a"], [["Анна 'quoted'"]]))[1] == "Анна 'quoted'\r\n"


@pytest.fixture
def formula_user(csrf_client):
    """An account signed up through the real form with an address that is a formula."""
    response = csrf_client.submit(
        "/accounts/signup/", {"email": FORMULA_EMAIL, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    user = User.objects.get(email=FORMULA_EMAIL.lower())
    mailing = MailingFactory(owner=user, message__subject="+7 новости")
    ClientFactory(owner=user, email="a@example.org", full_name="@home")
    AttemptFactory(mailing=mailing, server_response="-ERR\tbusy")
    return user


def test_a_managers_client_export_escapes_the_owners_email(formula_user):
    browser = Browser()
    browser.force_login(manager())
    rows = rows_of(browser.get("/clients/export/"))
    assert rows[0][-1] == "owner"
    (row,) = [row for row in rows[1:] if row[0] == "a@example.org"]
    assert row[1] == "'@home"
    assert row[-1] == "'" + formula_user.email


def test_a_managers_report_export_escapes_every_text_cell(formula_user):
    browser = Browser()
    browser.force_login(manager())
    header, row = rows_of(browser.get("/reports/export/"))
    cells = dict(zip(header, row, strict=True))
    assert cells["owner"] == "'" + formula_user.email
    assert cells["subject"] == "'+7 новости"
    assert cells["server_response"] == "'-ERR\tbusy"


def test_no_cell_of_any_export_starts_a_formula(formula_user):
    browser = Browser()
    browser.force_login(manager())
    for path in ("/clients/export/", "/reports/export/"):
        for row in rows_of(browser.get(path)):
            assert not any(cell.startswith(FORMULA_PREFIXES) for cell in row), (path, row)
