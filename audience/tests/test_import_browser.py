"""The import's page in a real browser: after the columns are matched, it follows the
rows read without a reload and, when the import is over, shows the final figures and
the skipped rows."""

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from audience.imports import client_imports_run
from audience.models import Client, ClientImport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_import_page_follows_the_import_by_itself(page, live_server):
    UserFactory(email="owner@example.com")
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "owner@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")

    rows = "".join(f"c{n}@example.org,Клиент {n},\n" for n in range(3000))
    page.goto("/clients/import/")
    page.set_input_files(
        "input[name=file]",
        {
            "name": "klienty.csv",
            "mimeType": "text/csv",
            "buffer": f"email,full_name,comment\n{rows}not-an-email,,\n".encode(),
        },
    )
    page.locator("main form button[type=submit]").click()
    # The columns as the page proposes them, then Import.
    page.wait_for_url("**/clients/import/*/columns/")
    expect(page.locator("#id_column_0")).to_have_value("email")
    expect(page.locator("#id_column_1")).to_have_value("full_name")
    page.locator("#import-mapping button[type=submit]").click()
    page.wait_for_url("**/clients/import/*/")
    expect(page.locator("#import-waiting")).to_be_visible()
    assert page.locator('[data-figure="total_rows"]').inner_text().replace("\xa0", "") == "3001"
    page.evaluate("window.stillTheSamePage = true")

    # A worker has read part of the file.
    job = ClientImport.objects.get()
    ClientImport.objects.filter(pk=job.pk).update(status="running", rows_done=1000)
    # Taken up by a worker: the page is shown afresh, saying so.
    expect(page.locator("#import-waiting")).to_contain_text("Читаем файл", timeout=8000)
    ClientImport.objects.filter(pk=job.pk).update(rows_done=2000)
    expect(page.locator('[data-figure="rows_done"]')).to_have_text("2\xa0000", timeout=8000)
    page.evaluate("window.stillTheSamePage = true")
    ClientImport.objects.filter(pk=job.pk).update(rows_done=2500)
    expect(page.locator('[data-figure="rows_done"]')).to_have_text("2\xa0500", timeout=8000)
    assert page.evaluate("window.stillTheSamePage") is True  # updated without a reload

    # The worker finishes it (taking it over: it looks lost, its stamp is old).
    ClientImport.objects.filter(pk=job.pk).update(status="queued")
    assert client_imports_run() == 1
    expect(page.locator("#import-summary [data-figure=created]")).to_have_text(
        "3\xa0000", timeout=8000
    )
    expect(page.locator("#import-summary [data-figure=errors]")).to_have_text("1")
    expect(page.locator("#import-errors")).to_contain_text("not-an-email")
    assert Client.objects.count() == 3000
