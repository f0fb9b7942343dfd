"""The whole journey in headless Chromium against the site as production runs it
(gunicorn, a Celery worker and beat, PostgreSQL, Redis, a real SMTP server): a visitor
signs up and confirms from the email, imports clients, writes a message, sends a mailing
and reads the report; a manager blocks the user; a content manager publishes a post.

Each step leaves a full-page screenshot (1280 px wide) in $SCREENSHOT_DIR, by default a
folder of the test's tmp_path:

    SCREENSHOT_DIR=docs/screenshots .venv/bin/pytest e2e/test_journey.py -s
"""

import io
import re
import zoneinfo
from collections import Counter
from datetime import datetime
from email.header import decode_header, make_header
from email.utils import parseaddr

import pytest
from playwright.sync_api import expect

from e2e.conftest import journey, start_site
from e2e.stack import Stack, text_of
from e2e.test_scale_out import delivery_statuses, sql
from sending.tests.processes import wait_for

pytestmark = [pytest.mark.services, pytest.mark.browser, pytest.mark.slow]

OWNER = "marina@chainaya-lavka.test"
MANAGER = "manager@rassylka.test"
EDITOR = "editor@rassylka.test"
PASSWORD = "journey-pass-2026"
MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")
SUBJECT = "Осенняя дегустация в «Чайной лавке»"
BODY = (
    "Здравствуйте, {{ full_name }}!\n\n"
    "В субботу ждём вас на дегустацию новых улунов и пуэров. "
    "Для подписчиков рассылки — скидка 15 % на весь чай до конца месяца.\n\n"
    "Ваша «Чайная лавка»"
)

MEN = ["Иван", "Алексей", "Дмитрий", "Сергей", "Николай", "Павел", "Михаил", "Андрей"]
WOMEN = ["Анна", "Ольга", "Елена", "Татьяна", "Мария", "Наталья", "Светлана"]
SURNAMES = ["Иванов", "Петров", "Смирнов", "Кузнецов", "Соколов", "Попов", "Лебедев"]
LATIN = str.maketrans(
    {
        **dict(zip("абвгдезийклмнопрстуфыэ", "abvgdeziyklmnoprstufye", strict=True)),
        **{"ё": "e", "ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch"},
        **{"ъ": "", "ь": "", "ю": "yu", "я": "ya"},
    }
)
COMMENTS = ["", "с ярмарки", "постоянный покупатель", "", "заказ через сайт", ""]


def latin(word: str) -> str:
    return word.lower().translate(LATIN)


def clients() -> list[tuple[str, str, str]]:
    """About fifty distinct clients with Russian names: (email, full_name, comment)."""
    men = [(first, last) for first in MEN for last in SURNAMES[:4]]
    women = [(first, last + "а") for first in WOMEN for last in SURNAMES[3:]]
    people = [person for pair in zip(men, women, strict=False) for person in pair][:50]
    return [
        (
            f"{latin(first)}.{latin(last)}@example.com",
            f"{first} {last}",
            COMMENTS[n % len(COMMENTS)],
        )
        for n, (first, last) in enumerate(people)
    ]


CLIENTS = clients()


def csv_bytes() -> bytes:
    lines = ["email,full_name,comment"]
    lines += [",".join(row) for row in CLIENTS]
    return ("\n".join(lines) + "\n").encode()


def png_bytes(width: int = 1200, height: int = 675) -> bytes:
    """A blog illustration: a warm gradient with a few cups of tea drawn on it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / height
        draw.line(
            [(0, y), (width, y)],
            fill=(int(250 - 60 * t), int(214 - 90 * t), int(160 - 70 * t)),
        )
    for n in range(3):
        cx, cy, r = width * (n + 1) // 4, height * 3 // 5, width // 12
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(255, 250, 240), outline=(120, 60, 30))
        draw.ellipse(
            [cx - r * 2 // 3, cy - r * 2 // 3, cx + r * 2 // 3, cy + r * 2 // 3],
            fill=(150 - 30 * n, 80 + 20 * n, 20),
        )
        draw.arc(
            [cx + r - 10, cy - r // 3, cx + r + r // 2, cy + r // 3], 270, 90, (120, 60, 30), 8
        )
        for k in (-1, 0, 1):
            x = cx + k * r // 3
            draw.arc([x - 12, cy - r - 90, x + 12, cy - r - 20], 90, 270, (255, 255, 255), 4)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def new_page(browser, stack: Stack):
    context = browser.new_context(
        base_url=stack.url(""),
        locale="ru-RU",
        timezone_id="Europe/Moscow",
        viewport={"width": 1280, "height": 800},
    )
    context.set_default_timeout(20_000)
    return context.new_page()


def log_in(page, stack: Stack, email: str, shown_as: str | None = None) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(stack.url("/"))
    expect(page.locator("nav")).to_contain_text(shown_as or email)


def create_staff(stack: Stack) -> None:
    """A manager and a content manager, made as an administrator would in a shell."""
    code = f"""
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from accounts.models import User
for email, first, last, group in [
    ({MANAGER!r}, "Олег", "Миронов", "Managers"),
    ({EDITOR!r}, "Вера", "Полякова", "Content managers"),
]:
    user = User.objects.create_user(email=email, password={PASSWORD!r},
                                    first_name=first, last_name=last)
    user.groups.add(Group.objects.get(name=group))
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
"""
    stack.manage("shell", "-c", code)


def addressee(message) -> str:
    return parseaddr(message["To"])[1].lower()


def mailed_to_clients(stack: Stack) -> list:
    addresses = {email for email, _, _ in CLIENTS}
    return [m for m in stack.received() if addressee(m) in addresses]


def test_the_whole_journey_in_a_browser(tmp_path, browser, camera):
    stack = Stack(
        tmp_path,
        database="rassylka_journey",
        redis_db=10,
        extra_env={"SEND_LEASE": "30", "SEND_RATE": "100"},
    )
    with journey(browser, stack, tmp_path):
        stack.prepare()
        create_staff(stack)
        start_site(stack)

        # 1. A visitor opens the home page: the service's figures, the blog.
        page = new_page(browser, stack)
        response = page.goto("/")
        sent_language = response.request.all_headers().get("accept-language")
        assert page.locator("html").get_attribute("lang") == "ru", (
            f"Accept-Language {sent_language!r}, Content-Language "
            f"{response.headers.get('content-language')!r}, Vary {response.headers.get('vary')!r}"
        )
        assert page.locator("#figures").get_attribute("data-scope") == "site"
        expect(page.locator("#figure-mailings")).to_have_text("0")
        expect(page.locator("a[href='/accounts/signup/']").first).to_be_visible()
        camera(page, "home")

        # 2. Signs up, confirms the address from the email, logs in.
        page.locator("main a[href='/accounts/signup/']").first.click()
        page.wait_for_url("**/accounts/signup/")
        page.fill("input[name=email]", OWNER)
        page.fill("input[name=password1]", PASSWORD)
        page.fill("input[name=password2]", PASSWORD)
        camera(page, "signup")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/accounts/confirm-email/")
        assert sql(stack, "SELECT is_active FROM accounts_user WHERE email = %s", OWNER) == [
            (True,)
        ]
        link = stack.confirmation_link(OWNER)
        assert link.startswith(stack.url("/accounts/confirm-email/"))
        page.goto(link)
        expect(page.locator("main")).to_contain_text(OWNER)
        camera(page, "confirm-email")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/accounts/login/")
        assert sql(stack, "SELECT verified FROM account_emailaddress WHERE email = %s", OWNER) == [
            (True,)
        ]
        log_in(page, stack, OWNER)
        (user_id,) = sql(stack, "SELECT id FROM accounts_user WHERE email = %s", OWNER)[0]

        # 3. Imports the clients from a CSV file.
        page.goto("/clients/import/")
        page.set_input_files(
            "input[name=file]",
            {"name": "klienty.csv", "mimeType": "text/csv", "buffer": csv_bytes()},
        )
        page.locator("main form button[type=submit]").click()
        # The mapping step proposes each column's place from its name.
        expect(page.locator("#id_column_0")).to_have_value("email")
        expect(page.locator("#id_column_1")).to_have_value("full_name")
        page.locator("#import-mapping button[type=submit]").click()
        expect(page.locator("#import-summary [data-figure=created]")).to_have_text(
            str(len(CLIENTS))
        )
        expect(page.locator("#import-summary [data-figure=errors]")).to_have_text("0")
        camera(page, "import-result")
        assert sql(stack, "SELECT count(*) FROM mailings_client WHERE owner_id = %s", user_id) == [
            (len(CLIENTS),)
        ]
        page.locator("main a[href='/clients/']").last.click()
        page.wait_for_url("**/clients/")
        expect(page.locator("main h1 span")).to_have_text(str(len(CLIENTS)))
        expect(page.locator("#client-table")).to_contain_text(CLIENTS[0][1])
        camera(page, "clients")

        # 4. Writes a message and a mailing to everyone, starting now.
        page.goto("/messages/new/")
        page.fill("input[name=subject]", SUBJECT)
        page.fill("textarea[name=body]", BODY)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/messages/\d+/$"))

        page.goto("/mailings/new/")
        page.select_option("select[name=message]", label=SUBJECT)
        page.fill("input[name=start_at]", datetime.now(MOSCOW).strftime("%Y-%m-%dT%H:%M"))
        page.select_option("select[name=periodicity]", "once")
        page.check("input[name=all_subscribed]")
        camera(page, "mailing-form")
        page.locator("#mailing-form button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/mailings/\d+/$"))
        mailing_id = int(re.search(r"/mailings/(\d+)/$", page.url).group(1))
        expect(page.locator("#recipient-count")).to_have_text(str(len(CLIENTS)))
        # "All my clients" is decided at each run, not copied into the mailing.
        assert sql(stack, "SELECT all_clients FROM mailings_mailing WHERE id = %s", mailing_id) == [
            (True,)
        ]
        assert sql(
            stack,
            "SELECT count(*) FROM mailings_mailing_clients WHERE mailing_id = %s",
            mailing_id,
        ) == [(0,)]
        camera(page, "mailing-detail")

        # 5. Every client gets the message exactly once, personalised, with a one-click
        # unsubscribe; the page shows the finished run.
        wait_for(
            lambda: len(mailed_to_clients(stack)) >= len(CLIENTS),
            timeout=120,
            interval=0.5,
            what="every client's message in the sink",
        )
        wait_for(
            lambda: sql(
                stack,
                "SELECT status FROM mailings_attempt WHERE mailing_id = %s "
                "AND finished_at IS NOT NULL",
                mailing_id,
            ),
            timeout=60,
            interval=0.5,
            what="the run to finish",
        )
        messages = mailed_to_clients(stack)
        copies = Counter(addressee(m) for m in messages)
        assert {email for email, _, _ in CLIENTS} == set(copies)
        assert [a for a, n in copies.items() if n > 1] == []
        assert len(messages) == len(CLIENTS)
        assert delivery_statuses(stack, mailing_id) == Counter(sent=len(CLIENTS))
        by_address = {addressee(m): m for m in messages}
        for email, full_name, _ in CLIENTS:
            message = by_address[email]
            assert str(make_header(decode_header(message["Subject"]))) == SUBJECT
            assert f"Здравствуйте, {full_name}!" in text_of(message)
            assert message["List-Unsubscribe"].startswith(f"<{stack.url('/unsubscribe/')}")
            assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        page.reload()
        expect(page.locator("main [data-status]").first).to_have_attribute(
            "data-status", "completed"
        )
        progress = page.locator("#mailing-progress")
        expect(progress.locator("[data-count=sent]")).to_have_text(str(len(CLIENTS)))
        expect(progress.locator("[data-count=failed]")).to_have_text("0")
        expect(progress.locator("[data-count=total]")).to_have_text(str(len(CLIENTS)))
        expect(progress.locator(".badge.text-bg-success")).to_be_visible()
        runs = page.locator("#attempt-table tbody tr")
        expect(runs).to_have_count(1)
        expect(runs.locator("td.text-end").first).to_have_text(str(len(CLIENTS)))
        camera(page, "mailing-sent")

        # 6. The report shows the run and the totals.
        page.goto("/reports/")
        totals = page.locator("#report-totals")
        expect(totals.locator("[data-total=runs]")).to_have_text("1")
        expect(totals.locator("[data-total=successful]")).to_have_text("1")
        expect(totals.locator("[data-total=messages_sent]")).to_have_text(str(len(CLIENTS)))
        expect(totals.locator("[data-total=messages_failed]")).to_have_text("0")
        row = page.locator("#report-table tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(SUBJECT)
        camera(page, "reports")

        # 7. A manager blocks the user; the user can no longer log in.
        manager = new_page(browser, stack)
        log_in(manager, stack, MANAGER, "Олег Миронов")
        manager.goto("/manager/users/")
        person = manager.locator(f"#user-table tr[data-user='{OWNER}']")
        expect(person).to_contain_text(str(len(CLIENTS)))
        dialogs = []
        manager.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
        person.locator("button[type=submit]").click()
        expect(person.locator(".badge.text-bg-danger")).to_be_visible()
        assert dialogs and OWNER in dialogs[0]
        expect(person.locator("button[type=submit]")).to_have_class(
            re.compile("btn-outline-success")
        )
        assert sql(stack, "SELECT is_active FROM accounts_user WHERE email = %s", OWNER) == [
            (False,)
        ]
        camera(manager, "manager-users")

        page.context.clear_cookies()
        page.goto("/accounts/login/")
        page.fill("input[name=login]", OWNER)
        page.fill("input[name=password]", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/accounts/inactive/")
        expect(page.locator("main h1")).to_have_text("Учётная запись заблокирована")
        camera(page, "account-blocked")
        page.goto("/clients/")
        page.wait_for_url(re.compile(r".*/accounts/login/"))

        # 8. A content manager writes and publishes a post with an image.
        editor = new_page(browser, stack)
        log_in(editor, stack, EDITOR, "Вера Полякова")
        editor.goto("/blog/new/")
        editor.fill("input[name=title]", "Как мы готовим осеннюю рассылку")
        editor.fill(
            "textarea[name=body]",
            "Осень — время тёплых писем. Три правила, которые работают:\n\n"
            "- **пишите по имени**: подстановка `{{ full_name }}` делает это сама;\n"
            "- отправляйте утром в будний день;\n"
            "- дайте отписаться в один клик — это бережёт репутацию отправителя.\n\n"
            "## Что дальше\n\nЗагляните в отчёты: там видно, кому письмо дошло, "
            "а кому его стоит отправить ещё раз.",
        )
        editor.set_input_files(
            "input[name=image]",
            {"name": "osen.png", "mimeType": "image/png", "buffer": png_bytes()},
        )
        editor.check("input[name=is_published]")
        editor.locator("main form button[type=submit]").click()
        editor.wait_for_url(re.compile(r".*/blog/\d+/$"))
        post_id = int(re.search(r"/blog/(\d+)/$", editor.url).group(1))
        expect(editor.locator("article h1")).to_have_text("Как мы готовим осеннюю рассылку")
        hero = editor.locator("img.post-hero")
        expect(hero).to_be_visible()
        expect(hero).to_have_js_property("complete", True)
        assert hero.evaluate("img => img.naturalWidth") > 0
        assert sql(
            stack,
            "SELECT p.is_published, p.published_at IS NOT NULL, u.email FROM blog_post p "
            "JOIN accounts_user u ON u.id = p.author_id WHERE p.id = %s",
            post_id,
        ) == [(True, True, EDITOR)]
        camera(editor, "blog-post")

        page.goto("/blog/")
        card = page.locator(f"article[data-post-id='{post_id}']")
        expect(card.locator(".card-title")).to_have_text("Как мы готовим осеннюю рассылку")
        camera(page, "blog")

        # And the visitor's home page now has the figures and the post.
        page.goto("/")
        expect(page.locator("#figure-mailings")).to_have_text("1")
        expect(page.locator("#figure-clients")).to_have_text(str(len(CLIENTS)))
        expect(page.locator(f"#home-posts article[data-post-id='{post_id}']")).to_be_visible()
        camera(page, "home-after")

        print(f"\nscreenshots in {camera.directory}:")
        for path in camera.taken:
            print(f"  {path.name}  {path.stat().st_size // 1024} KB")
