"""`make bench-scale`: one user with a million clients, on PostgreSQL.

Not part of `make bench` (nor of CI): filling the database takes a minute and the
figures only mean something on PostgreSQL. Run it on a database of its own:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rassylka_scale make bench-scale

It migrates that database, gives the user `scale@bench.example` BENCH_SCALE_CLIENTS
clients (default 1,000,000; INSERT … SELECT generate_series, so nothing passes through
Python) with custom fields, a tag on a tenth of them, a list holding half of them, a
segment and two mailings; later runs reuse what is there. Then it measures each
workspace page through Django's test client (the whole middleware stack, one process):
its size and its time (the first answer, and the median of BENCH_SCALE_REPEAT more),
against the issue's bounds of 300 KB and 300 ms; and claiming a run to all the clients:
the time of the claim (one INSERT … SELECT) and this process's peak memory before and
after it. The run is deleted afterwards, so the database can be measured again.
"""

import os
import resource
import statistics
import sys
import time

EMAIL = "scale@bench.example"
PAGE_LIMIT_KB, PAGE_LIMIT_MS, CLAIM_LIMIT_S = 300, 300, 30
CITIES = ["Казань", "Москва", "Самара", "Пермь", "Тверь", "Омск", "Томск", "Сочи", "Уфа", "Тула"]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _seed(owner, clients: int) -> None:
    from django.db import connection

    from audience.models import Client, MailingList, Segment, Tag

    have = Client.objects.owned_by(owner).count()
    started = time.perf_counter()
    if have < clients:
        cities = "ARRAY[" + ", ".join(f"'{city}'" for city in CITIES) + "]"
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO mailings_client (owner_id, email, full_name, comment, attributes, "
                "status, created_at, updated_at) "
                "SELECT %s, 'client' || n || '@scale.example', 'Клиент ' || n, '', "
                f"jsonb_build_object('city', ({cities})[1 + n %% 10], 'plan', "
                "CASE WHEN n %% 7 = 0 THEN 'pro' ELSE 'free' END), "
                "CASE WHEN n %% 50 = 0 THEN 'unsubscribed' ELSE 'active' END, "
                "now() - (n %% 400) * interval '1 day', now() "
                "FROM generate_series(%s, %s) AS n",
                [owner.pk, have + 1, clients],
            )
        print(f"  added {clients - have:,} clients in {time.perf_counter() - started:.1f} s")
    vip, created = Tag.objects.get_or_create(owner=owner, name="vip")
    if created:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audience_tag_clients (tag_id, client_id) SELECT %s, id "
                "FROM mailings_client WHERE owner_id = %s AND id %% 10 = 0",
                [vip.pk, owner.pk],
            )
    news, created = MailingList.objects.get_or_create(owner=owner, name="Новости")
    if created:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audience_membership (mailing_list_id, client_id, status, "
                "created_at) SELECT %s, id, 'subscribed', now() FROM mailings_client "
                "WHERE owner_id = %s AND id %% 2 = 0",
                [news.pk, owner.pk],
            )
    Segment.objects.get_or_create(
        owner=owner,
        name="VIP из Казани",
        defaults={
            "rules": [
                {"field": "attributes.city", "op": "equals", "value": "Казань"},
                {"field": "tag", "op": "has", "value": "vip"},
            ]
        },
    )
    with connection.cursor() as cursor:
        # What autovacuum does after a large import, at once: fresh statistics and a
        # visibility map (index-only counts).
        cursor.execute("VACUUM ANALYZE")
    print(f"  data ready in {time.perf_counter() - started:.1f} s")


def _mailing(owner):
    from content.models import Message
    from mailings.models import Mailing
    from mailings.tests.factories import DueMailingFactory

    mailing = Mailing.objects.owned_by(owner).filter(all_clients=True).first()
    if mailing is None:
        message = Message.objects.create(owner=owner, subject="Новости", body="Привет!")
        mailing = DueMailingFactory(owner=owner, message=message, all_clients=True)
    return mailing


def _measure(browser, url: str, repeat: int) -> tuple[int, float, float]:
    started = time.perf_counter()
    response = browser.get(url)
    first = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url}: {response.status_code}")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        browser.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return len(response.content), first, statistics.median(times) if times else first


def _claim(mailing) -> tuple[int, float, float, float]:
    from django.db import connection
    from django.utils import timezone

    from mailings.models import Mailing
    from sending.claims import run_claim

    Mailing.objects.filter(pk=mailing.pk).update(
        status=Mailing.Status.RUNNING, next_run_at=timezone.now(), send_requested_at=None
    )
    mailing.refresh_from_db()
    before = _peak_rss_mb()
    started = time.perf_counter()
    attempt = run_claim(mailing=mailing, now=timezone.now())
    seconds = time.perf_counter() - started
    after = _peak_rss_mb()
    total = attempt.total_count
    # The next measurement starts clean. One DELETE: Django's cascade would load the
    # million deliveries into memory first.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM mailings_delivery WHERE attempt_id = %s", [attempt.pk])
    attempt.delete()
    return total, seconds, before, after


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as Browser
    from django.test.utils import setup_test_environment
    from django.urls import NoReverseMatch, reverse

    from accounts.tests.factories import UserFactory
    from audience.models import Client, Segment

    if connection.vendor != "postgresql":
        raise SystemExit("bench.scale needs PostgreSQL: set DATABASE_URL=postgres://…")
    clients = int(os.environ.get("BENCH_SCALE_CLIENTS", 1_000_000))
    repeat = int(os.environ.get("BENCH_SCALE_REPEAT", 5))
    print(
        f"A million clients: {clients:,} clients of one user on {connection.settings_dict['NAME']}"
    )
    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.filter(email=EMAIL).first() or UserFactory(email=EMAIL)
    _seed(owner, clients)
    mailing = _mailing(owner)
    segment = Segment.objects.owned_by(owner).first()
    client = Client.objects.owned_by(owner).order_by("pk").first()

    setup_test_environment()  # the test client's host, as in the suite
    browser = Browser()
    browser.force_login(owner)
    pages = [
        ("clients", "/clients/"),
        ("clients, searched", "/clients/?q=client12345"),
        ("client", f"/clients/{client.pk}/"),
        ("new mailing", "/mailings/new/"),
        ("mailing detail (all clients)", f"/mailings/{mailing.pk}/"),
        ("mailings", "/mailings/"),
        ("segments", "/segments/"),
        ("segment detail", f"/segments/{segment.pk}/"),
        ("segment count", f"/segments/{segment.pk}/count/"),
        ("reports", "/reports/"),
        ("picker search", "/clients/search/?q=client4242"),
        ("picker search, rare", "/clients/search/?q=nobody-has-this"),
        ("recipient count (all)", "/mailings/recipients/?all_subscribed=on"),
        (
            "segment live count",
            "/segments/count/?match=all&rules-TOTAL_FORMS=1&rules-INITIAL_FORMS=0"
            "&rules-0-field=attributes.city&rules-0-op=equals&rules-0-value=Казань",
        ),
    ]
    for name, url_name in [("lists", "audience:list_list")]:
        try:
            pages.append((name, reverse(url_name)))
        except NoReverseMatch:
            print(f"  ({name}: no such page on this branch)")
    print(f"{'page':<32}{'KB':>8}{'first ms':>10}{'median ms':>11}  within bounds")
    missed = 0
    for name, url in pages:
        size, first, median = _measure(browser, url, repeat)
        within = size / 1024 < PAGE_LIMIT_KB and median < PAGE_LIMIT_MS
        missed += not within
        print(
            f"{name:<32}{size / 1024:>8.1f}{first:>10.0f}{median:>11.0f}  "
            f"{'yes' if within else 'NO'}"
        )
    total, seconds, before, after = _claim(mailing)
    print(
        f"claim of a run to all clients: {total:,} recipients in {seconds:.1f} s "
        f"(bound {CLAIM_LIMIT_S} s); peak RSS {before:.0f} MB before, {after:.0f} MB after"
    )
    if missed or seconds >= CLAIM_LIMIT_S:
        sys.exit(1)


if __name__ == "__main__":
    main()
