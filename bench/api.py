"""The API: a bulk upsert of 10,000 clients (half new, half existing) and the SQL
queries of a list page at 2 and at 500 rows.

`make bench` runs it with the other benchmarks; `python -m bench bench.api` alone.
In-process through DRF's test client (the whole middleware stack, no HTTP server),
against a throwaway test database (DATABASE_URL picks SQLite or PostgreSQL).
"""

import os
import time


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from rest_framework.test import APIClient

    from accounts.models import User
    from api.models import ApiToken
    from audience.models import Client

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        owner = User.objects.create_user("bench@example.com", "x")
        _token, text = ApiToken.issue(owner=owner, name="bench")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
        Client.objects.bulk_create(
            Client(owner=owner, email=f"c{n}@example.org", full_name="old")
            for n in range(0, 10_000, 2)
        )
        rows = [{"email": f"C{n}@example.org", "full_name": f"Клиент {n}"} for n in range(10_000)]
        print(f"API benchmark: {connection.vendor} database, one process")
        for attempt in range(2):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = api.post("/api/v1/clients/bulk/", {"clients": rows}, format="json")
            took = time.perf_counter() - started
            print(
                f"  bulk upsert of 10,000 clients ({response.json()}): {took:.2f} s, "
                f"{len(queries)} SQL queries"
            )
            rows = [{**row, "full_name": f"{row['full_name']} {attempt}"} for row in rows]
        for path in ("clients", "messages", "mailings", "attempts"):
            counts = []
            for size in (2, 500):
                with CaptureQueriesContext(connection) as queries:
                    api.get(f"/api/v1/{path}/?page_size={size}")
                counts.append(len(queries))
            print(f"  /api/v1/{path}/: {counts[0]} SQL queries at 2 rows, {counts[1]} at 500")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
