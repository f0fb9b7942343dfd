"""Home page throughput with the cache and without it.

`make bench` runs it with the other benchmarks; `python -m bench bench.home` alone.

Runs in-process through Django's WSGI handler (the whole middleware stack, no HTTP server)
against a throwaway test database filled with realistic data, as an anonymous visitor.
The "without" run swaps the configured cache for Django's DummyCache, so every request
counts the figures, reads the post pool and renders every fragment.

Environment: BENCH_REQUESTS (per run, default 3000), BENCH_USERS (default 20; each has
150 clients and 100 mailings of ~40 recipients), BENCH_POSTS (default 30).
"""

import io
import os
import random
import time
from datetime import timedelta

DUMMY_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test.utils import override_settings

    requests = int(os.environ.get("BENCH_REQUESTS", 3000))
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        started = time.perf_counter()
        counts = _seed(
            users=int(os.environ.get("BENCH_USERS", 20)),
            posts=int(os.environ.get("BENCH_POSTS", 30)),
        )
        print(
            "home page benchmark: {mailings} mailings, {clients} clients, {links} mailing "
            "recipients, {posts} posts (seeded in {seconds:.1f} s); {vendor} database, "
            "anonymous visitor, {requests} requests per run, one process".format(
                **counts,
                seconds=time.perf_counter() - started,
                vendor=connection.vendor,
                requests=requests,
            )
        )
        app = WSGIHandler()
        cache.clear()
        backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
        with_cache = _measure(app, requests)
        with override_settings(CACHES=DUMMY_CACHE):
            without_cache = _measure(app, requests)
        cache.clear()
        runs = [(f"with cache ({backend})", with_cache), ("without cache", without_cache)]
        for label, result in runs:
            print(
                f"  {label:32} {result['rps']:8.0f} req/s   {result['ms']:6.2f} ms/request   "
                f"{result['queries']} SQL queries/request"
            )
        print(f"  cache speed-up: {with_cache['rps'] / without_cache['rps']:.1f}×")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _measure(app, requests: int) -> dict:
    from django.db import connection

    for _ in range(max(requests // 10, 50)):  # warm up: fill the cache, load templates
        _get(app, "/")
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # An execute wrapper outlives the per-request reconnects (CaptureQueriesContext does not).
    with connection.execute_wrapper(count):
        _get(app, "/")
    started = time.perf_counter()
    for _ in range(requests):
        _get(app, "/")
    elapsed = time.perf_counter() - started
    return {
        "rps": requests / elapsed,
        "ms": elapsed / requests * 1000,
        "queries": len(queries),
    }


def _get(app, path: str) -> None:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
    }
    statuses = []
    response = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    try:
        b"".join(response)
    finally:
        response.close()  # fires request_finished, as a real server does
    if statuses != ["200 OK"]:
        raise RuntimeError(f"GET {path} answered {statuses}")


def _seed(*, users: int, posts: int) -> dict:
    """Bulk-insert realistic data (bulk inserts fire no signals: the cache starts cold)."""
    from django.utils import timezone

    from accounts.models import User
    from audience.models import Client
    from blog.models import Post
    from blog.rendering import render_markdown
    from content.models import Message
    from mailings.models import Mailing

    rng = random.Random(2026)
    now = timezone.now()
    owners = User.objects.bulk_create(
        User(email=f"bench{n}@example.com", password="!") for n in range(users)
    )
    clients, mailings = [], []
    for owner in owners:
        clients += Client.objects.bulk_create(
            Client(owner=owner, email=f"c{n}.{owner.pk}@example.org", full_name=f"Client {n}")
            for n in range(150)
        )
        message = Message.objects.create(owner=owner, subject="Hello", body="Hi {{ full_name }}")
        statuses = list(Mailing.Status)
        mailings += Mailing.objects.bulk_create(
            Mailing(
                owner=owner,
                message=message,
                start_at=now - timedelta(days=n),
                end_at=now + timedelta(days=30),
                periodicity=Mailing.Periodicity.WEEKLY,
                status=rng.choice(statuses),
            )
            for n in range(100)
        )
    by_owner: dict[int, list] = {}
    for client in clients:
        by_owner.setdefault(client.owner_id, []).append(client)
    Link = Mailing.clients.through
    links = [
        Link(mailing_id=mailing.pk, client_id=client.pk)
        for mailing in mailings
        for client in rng.sample(by_owner[mailing.owner_id], 40)
    ]
    Link.objects.bulk_create(links, batch_size=5000)
    sentence = "Текст записи о рассылках, **важное** и [ссылка](https://example.com). "
    body = "## Заголовок\n\n" + sentence * 20
    Post.objects.bulk_create(
        Post(
            title=f"Запись блога номер {n}",
            body=body,
            body_html=render_markdown(body),
            image=f"blog/bench/cover-{n}.jpg",
            image_thumb=f"blog/renditions/bench/cover-{n}-card.webp",
            is_published=n % 10 != 0,
            published_at=now - timedelta(days=n),
        )
        for n in range(posts)
    )
    return {"mailings": len(mailings), "clients": len(clients), "links": len(links), "posts": posts}
