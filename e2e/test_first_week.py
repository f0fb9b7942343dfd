"""A marketer's first week (issue #25) in headless Chromium, against the site as production
runs it (gunicorn, a Celery worker and beat, PostgreSQL, Redis, a real SMTP server):
sign up, add a sender and confirm it from the email, import a 1C export (Windows-1251,
`;`) and a Mailchimp export through the mapping step, write a designed HTML message,
preview it and send a test as a client, send the mailing now and watch its progress, and
unsubscribe as one of its recipients.

Every page of the way is watched: no console error, no failed request, no answer of 400
or more, and nothing wider than the 1280 px window. Each step leaves a screenshot, like
the other journey's:

    SCREENSHOT_DIR=docs/screenshots .venv/bin/pytest e2e/test_first_week.py -s
"""

import re
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import BrowserGuard
from e2e.conftest import journey, start_site
from e2e.stack import ROOT, Stack, text_of
from e2e.test_journey import PASSWORD, addressee, new_page, png_bytes
from e2e.test_scale_out import sql
from sending.tests.processes import wait_for

pytestmark = [pytest.mark.services, pytest.mark.browser, pytest.mark.slow]

OWNER = "olga@tsvety-olgi.test"
SENDER = "news@tsvety-olgi.test"
EXPORTS = ROOT / "audience" / "tests" / "exports"
DESIGNED = ROOT / "content" / "tests" / "fixtures" / "newsletter_tables.html"
SUBJECT = "Весна пришла, {{ full_name }}!"
# The 1C file's four good rows (a fifth has no address) and Mailchimp's three; an
# address is kept as it was written.
IMPORTED = {
    "ivan.petrov@example.ru": "Иван Петров",
    "olga@example.ru": "Ольга Смирнова",
    "Sergey.K@Example.RU": "Сергей Кузнецов",
    "anna.sokolova@example.ru": "Анна Соколова",
    "maria@example.com": "Maria Ivanova",
    "john.smith@example.com": "John Smith",
    "dmitry@example.com": "Дмитрий",
}


class Watched:
    """A page that fails the test on anything a visitor would not see go wrong, and on a
    layout wider than its window, at every step."""

    def __init__(self, page):
        self.page = page
        self.guard = BrowserGuard(page)

    def check(self) -> None:
        self.page.wait_for_load_state("load")
        self.guard.assert_clean()
        overflow = self.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{self.page.url} is {overflow} px wider than the window"
        # A table may scroll inside its box on a phone, never on this desktop.
        sideways = self.page.evaluate(
            "[...document.querySelectorAll('.table-responsive')]"
            ".filter(box => box.scrollWidth > box.clientWidth + 1).length"
        )
        assert sideways == 0, f"{self.page.url} has a table that scrolls sideways"


def sender_confirmation_path(stack: Stack) -> str:
    for message in stack.received():
        if SENDER in message["To"]:
            found = re.search(r"https?://[^/\s]+(/senders/confirm/\S+/)", text_of(message))
            if found:
                return found.group(1)
    return ""


def to_clients(stack: Stack) -> list:
    addresses = {email.lower() for email in IMPORTED}
    return [m for m in stack.received() if addressee(m) in addresses]


def subject_of(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def html_of(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return ""


def import_file(watched: Watched, camera, path: Path, mime: str, expect_columns: dict, shot: str):
    page = watched.page
    page.goto("/clients/import/")
    watched.check()
    page.set_input_files(
        "input[name=file]", {"name": path.name, "mimeType": mime, "buffer": path.read_bytes()}
    )
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/clients/import/\d+/columns/$"))
    for index, target in expect_columns.items():
        expect(page.locator(f"#id_column_{index}")).to_have_value(target)
    watched.check()
    camera(page, shot)
    page.locator("#import-mapping button[type=submit]").click()
    expect(page.locator("#import-summary")).to_be_visible(timeout=60_000)
    watched.check()


def test_a_marketers_first_week(tmp_path, browser, camera):
    stack = Stack(
        tmp_path,
        database="rassylka_first_week",
        redis_db=12,
        extra_env={"SEND_LEASE": "30", "SEND_RATE": "100"},
    )
    with journey(browser, stack, tmp_path):
        stack.prepare()
        start_site(stack)
        page = new_page(browser, stack)
        # The designed template's pictures live on the shop's own site: served here.
        picture = png_bytes(600, 300)
        page.context.route(
            "https://flowers.example/**",
            lambda route: route.fulfill(body=picture, content_type="image/png"),
        )
        watched = Watched(page)

        # Monday: sign up, confirm from the email, log in; the home page guides.
        page.goto("/accounts/signup/")
        page.fill("input[name=email]", OWNER)
        page.fill("input[name=password1]", PASSWORD)
        page.fill("input[name=password2]", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/accounts/confirm-email/")
        watched.check()
        page.goto(stack.confirmation_link(OWNER))
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/accounts/login/")
        page.fill("input[name=login]", OWNER)
        page.fill("input[name=password]", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(stack.url("/"))
        checklist = page.locator("#onboarding")
        expect(checklist).to_be_visible()
        expect(checklist.locator("[data-done=true]")).to_have_count(0)
        watched.check()
        camera(page, "first-week-home")

        # A sender, confirmed by the link its mailbox gets.
        page.goto("/senders/new/")
        page.fill("input[name=name]", "Цветы Ольги")
        page.fill("input[name=email]", SENDER)
        page.fill("textarea[name=postal_address]", "Казань, ул. Баумана, 12")
        page.check("input[name=is_default]")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/senders/\d+/$"))
        watched.check()
        wait_for(lambda: sender_confirmation_path(stack), timeout=60, what="the sender's link")
        page.goto(sender_confirmation_path(stack))
        page.locator("main form button[type=submit]").click()
        watched.check()
        assert sql(stack, "SELECT confirmed_at IS NOT NULL FROM senders_sender") == [(True,)]

        # Tuesday: the two exports, each through the mapping step.
        import_file(
            watched,
            camera,
            EXPORTS / "1c_clients.csv",
            "text/csv",
            {0: "email", 1: "full_name", 2: "field"},
            "first-week-import-1c",
        )
        # The row without an address is one grouped problem, not the whole file refused.
        expect(page.locator("#import-summary [data-figure=created]")).to_have_text("4")
        expect(page.locator("#import-errors")).to_contain_text("не-адрес")
        camera(page, "first-week-import-1c-result")
        import_file(
            watched,
            camera,
            EXPORTS / "mailchimp_subscribed_members.csv",
            "text/csv",
            {0: "email", 1: "full_name", 2: "full_name", 22: "tags"},
            "first-week-import-mailchimp",
        )
        expect(page.locator("#import-summary [data-figure=created]")).to_have_text("3")
        (user_id,) = sql(stack, "SELECT id FROM accounts_user WHERE email = %s", OWNER)[0]
        clients = dict(
            sql(stack, "SELECT email, full_name FROM mailings_client WHERE owner_id = %s", user_id)
        )
        assert clients == IMPORTED
        assert sql(
            stack,
            "SELECT attributes->>'gorod' FROM mailings_client WHERE email = %s",
            "olga@example.ru",
        ) == [("Санкт-Петербург",)]
        tags = {name for (name,) in sql(stack, "SELECT name FROM audience_tag")}
        assert {"Покупатели", "VIP", "Customers"} <= tags
        page.goto("/clients/")
        watched.check()
        camera(page, "first-week-clients")

        # Wednesday: a designed HTML message, styles kept.
        page.goto("/messages/new/")
        page.fill("input[name=subject]", SUBJECT)
        page.select_option("select[name=format]", "html")
        page.fill("textarea[name=body]", DESIGNED.read_text())
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/messages/\d+/$"))
        message_id = int(re.search(r"/messages/(\d+)/$", page.url).group(1))
        # The fixture plants a script and a fixed position: the page names what went.
        expect(page.locator(".alert-warning").first).to_contain_text("script")
        watched.check()

        # Preview as one client, then the test copy to the user's own address.
        page.goto(f"/messages/{message_id}/preview/")
        page.fill("input[name=q]", "ольга")
        page.locator("#preview-q").press("Enter")
        page.locator("#preview-matches").get_by_role("link", name=re.compile("Ольга")).click()
        page.wait_for_url(re.compile(r".*/preview/\?client=\d+"))
        expect(page.locator("#preview-subject")).to_have_text("Весна пришла, Ольга Смирнова!")
        headline = page.frame_locator("iframe[data-preview=desktop]").locator("h1").first
        expect(headline).to_be_visible()
        assert headline.evaluate("h => getComputedStyle(h).fontFamily") != ""
        # The designer's 600 px layout on a desktop, one column on a phone.
        widths = {
            frame: page.frame_locator(f"iframe[data-preview={frame}]")
            .locator(".container")
            .evaluate("table => table.getBoundingClientRect().width")
            for frame in ("desktop", "mobile")
        }
        assert widths["desktop"] == 600 and widths["mobile"] < 320, widths
        watched.check()
        # A full-page shot re-lays the frames out at a phone's width: the window as seen.
        camera(page, "first-week-preview", full_page=False)
        page.select_option("select[name=to]", OWNER)
        page.locator("main form button[type=submit]", has_text="тест").click()
        expect(page.locator(".alert-success")).to_contain_text(OWNER)
        watched.check()
        wait_for(
            lambda: [m for m in stack.received() if subject_of(m).startswith("[Тест]")],
            timeout=60,
            what="the test copy in the sink",
        )
        (test_copy,) = [m for m in stack.received() if subject_of(m).startswith("[Тест]")]
        assert subject_of(test_copy) == "[Тест] Весна пришла, Ольга Смирнова!"
        assert SENDER in test_copy["From"]
        assert addressee(test_copy) == OWNER
        assert 'style="' in html_of(test_copy)

        # Thursday: the mailing to everyone, sent now; its page follows the run.
        page.goto("/mailings/new/")
        page.select_option("select[name=message]", label="Весна пришла, {{ full_name }}!")
        page.check("input[name=when][value=now]")
        page.check("input[name=all_subscribed]")
        watched.check()
        camera(page, "first-week-mailing-form")
        page.locator("#mailing-form button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/mailings/\d+/$"))
        mailing_id = int(re.search(r"/mailings/(\d+)/$", page.url).group(1))
        wait_for(
            lambda: len(to_clients(stack)) >= len(IMPORTED),
            timeout=120,
            interval=0.5,
            what="every client's copy in the sink",
        )
        expect(page.locator("#mailing-state")).to_have_attribute(
            "data-state", "finished", timeout=60_000
        )
        expect(page.locator("#mailing-progress [data-count=sent]").first).to_have_text(
            str(len(IMPORTED))
        )
        watched.check()
        camera(page, "first-week-mailing-sent")
        copies = to_clients(stack)
        assert sorted(addressee(m) for m in copies) == sorted(e.lower() for e in IMPORTED)
        olga = next(m for m in copies if addressee(m) == "olga@example.ru")
        assert subject_of(olga) == "Весна пришла, Ольга Смирнова!"
        assert SENDER in olga["From"]
        assert "ул. Баумана" in text_of(olga)
        assert sql(
            stack, "SELECT count(*) FROM mailings_attempt WHERE mailing_id = %s", mailing_id
        ) == [(1,)]

        # The run's page and the reports agree with the card.
        page.locator("#attempt-table tbody tr a").first.click()
        page.wait_for_url(re.compile(r".*/mailings/\d+/runs/\d+/$"))
        watched.check()
        page.goto("/reports/")
        expect(page.locator("#report-totals [data-total=messages_sent]")).to_have_text(
            str(len(IMPORTED))
        )
        watched.check()
        camera(page, "first-week-reports")

        # Friday: a recipient leaves, on a page in the sender's name.
        recipient = new_page(browser, stack)
        recipient_watch = Watched(recipient)
        link = re.search(r"<(https?://[^>]+/unsubscribe/[^>]+)>", olga["List-Unsubscribe"])
        recipient.goto(link.group(1))
        expect(recipient.locator("body")).to_contain_text("Цветы Ольги")
        expect(recipient.locator("a[href='/accounts/login/']")).to_have_count(0)
        recipient_watch.check()
        recipient.get_by_role("button", name="Отписаться").click()
        expect(recipient.locator("h1")).to_have_text("Вы отписались")
        recipient_watch.check()
        camera(recipient, "first-week-unsubscribed")
        assert sql(
            stack, "SELECT status FROM mailings_client WHERE email = %s", "olga@example.ru"
        ) == [("unsubscribed",)]

        # And the guide on the home page has ticked itself through.
        page.goto("/")
        watched.check()
        expect(page.locator("#onboarding")).to_have_count(0)
