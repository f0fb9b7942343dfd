"""Fixtures shared by every app's tests."""

import os
import shutil
import socket
from urllib.parse import urlsplit

import pytest
from django.test import Client as DjangoTestClient
from hypothesis import HealthCheck, settings

# In CI every service and the browser must be there: a missing one fails the run
# instead of quietly skipping what it would have tested.
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") not in ("", "0", "false")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def service_unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (REQUIRE_SERVICES is set, so this fails instead of skipping)")
    pytest.skip(reason)


def require_tcp(url: str, name: str) -> None:
    """Skip (or, in CI, fail) unless something listens at the URL's host and port."""
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=2).close()
    except OSError as error:
        service_unavailable(f"{name} is not reachable at {parts.hostname}:{parts.port}: {error}")


def clear_cache() -> None:
    """Empty the default cache of this test process. The xdist workers of a run on Redis
    share CACHE_URL's database, and Redis clears a whole database at once: there each
    worker deletes only the keys of its own KEY_PREFIX (test_settings: one per process)."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache
    from redis.exceptions import RedisError

    cache = caches["default"]  # the backend itself (django.core.cache.cache is a proxy)
    if not isinstance(cache, RedisCache):
        cache.clear()
        return
    try:
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    except RedisError:
        pass  # a Redis that is away holds nothing to clear, as ResilientRedisCache says


@pytest.fixture(autouse=True)
def _clean_cache():
    clear_cache()
    yield
    clear_cache()


@pytest.fixture(scope="module")
def module_transaction(django_db_setup, django_db_blocker):
    """A transaction around the rest of a module's tests, rolled back after the last.
    Rows a module-scoped fixture makes in it (a matrix's world) are made once, not once
    per case; each test still runs in a savepoint of its own (`db`), so what one case
    writes the next does not see. Python objects kept across cases are not rolled back:
    hand each case fresh copies of those it may change (see `fresh`)."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


def fresh(value):
    """`value` with every model instance in it read again from the database (in dicts,
    lists and tuples): a case's changes to the instances do not reach the next case."""
    from django.db.models import Model

    if isinstance(value, Model):
        return type(value)._default_manager.get(pk=value.pk)
    if isinstance(value, dict):
        return {key: fresh(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(fresh(item) for item in value)
    return value


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of the test's own, started; see config/tests/services.py."""
    from config.tests.services import RedisServer

    if reason := RedisServer.missing():
        service_unavailable(reason)
    server = RedisServer(tmp_path)
    try:
        yield server.start()
    finally:
        server.close()


@pytest.fixture
def private_postgres():
    """A PostgreSQL of the test's own, started; see config/tests/services.py."""
    from config.tests.services import PostgresServer

    if reason := PostgresServer.missing():
        service_unavailable(reason)
    server = PostgresServer()
    try:
        yield server.start()
    finally:
        server.close()


class _RelayNames:
    """transport.smtp's `socket`, whose getaddrinfo answers `address` for every name."""

    def __init__(self, address: str):
        self.address = address

    def __getattr__(self, name):
        return getattr(socket, name)

    def getaddrinfo(self, host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (self.address, port))]


@pytest.fixture
def relay_names(monkeypatch):
    """Every host name a user's relay names resolves to `relay_names.address`: 192.0.2.1
    unless a test sets another, a documentation address the relay guard refuses, so that
    no check of a relay a test makes up leaves this machine."""
    names = _RelayNames("192.0.2.1")
    monkeypatch.setattr("transport.smtp.socket", names)
    return names


@pytest.fixture
def outbox_dir(settings, tmp_path):
    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"
    return settings.EMAIL_OUTBOX_DIR


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        service_unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="ru-RU")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


class BrowserGuard:
    """What went wrong in a page as a visitor would not see it: console errors, uncaught
    exceptions, requests that failed and answers of 400 or more. `allow(part)` accepts
    answers whose URL contains `part` (a test that asks for a 404 on purpose)."""

    def __init__(self, page):
        self.problems: list[str] = []
        self.allowed: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught exception: {error}"))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)

    def allow(self, part: str) -> None:
        self.allowed.append(part)

    def _is_allowed(self, url: str) -> bool:
        return any(part in url for part in self.allowed)

    def _console(self, message) -> None:
        url = message.location.get("url", "")
        if message.type == "error" and not self._is_allowed(url):
            self.problems.append(f"console error: {message.text} ({url})")

    def _request_failed(self, request) -> None:
        # Leaving or reloading a page cancels its requests in flight (a poll, say).
        if "ERR_ABORTED" in (request.failure or "") or self._is_allowed(request.url):
            return
        self.problems.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def _response(self, response) -> None:
        if response.status >= 400 and not self._is_allowed(response.url):
            method = response.request.method
            self.problems.append(f"HTTP {response.status}: {method} {response.url}")

    def assert_clean(self) -> None:
        """Fail with everything that went wrong so far, and start afresh."""
        problems, self.problems = self.problems, []
        assert not problems, "The page went wrong:\n" + "\n".join(problems)


@pytest.fixture
def browser_guard(page):
    """Watches `page` for console errors, uncaught exceptions and failed requests (>=400):
    the test fails on any of them, at `browser_guard.assert_clean()` or at its end."""
    guard = BrowserGuard(page)
    yield guard
    guard.assert_clean()


class CsrfClient:
    """A test client that enforces CSRF like a browser: GET the form, then POST with its token."""

    def __init__(self):
        from django.test import Client

        self.client = Client(enforce_csrf_checks=True)

    def __getattr__(self, name):
        return getattr(self.client, name)

    def submit(self, url: str, data: dict | None = None, *, form_url: str | None = None, **extra):
        self.client.get(form_url or url)
        token = self.client.cookies["csrftoken"].value
        return self.client.post(url, {**(data or {}), "csrfmiddlewaretoken": token}, **extra)


class PageVisitor(DjangoTestClient):
    """An anonymous browser that posts as a page's own forms do: with the CSRF token the
    page handed out on the GET before (none when the page gave none)."""

    def __init__(self, **defaults):
        super().__init__(enforce_csrf_checks=True, **defaults)

    def post(self, path, data=None, **extra):
        self.get(path)
        token = self.cookies.get("csrftoken")
        if token is not None and (data is None or isinstance(data, dict)):
            data = {**(data or {}), "csrfmiddlewaretoken": token.value}
        return super().post(path, data, **extra)


@pytest.fixture
def csrf_client():
    return CsrfClient()


@pytest.fixture
def owner():
    """A verified user with a workspace of their own (a file may override it, e.g. to
    give them another time zone)."""
    from accounts.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def signed_in(csrf_client, owner):
    """A browser-like client signed in as `owner`."""
    csrf_client.force_login(owner)
    return csrf_client


# Hypothesis: `default` keeps the whole suite under a minute in `make test`; CI sets
# HYPOTHESIS_PROFILE=ci for ten times the examples. No deadline: a shared machine's
# pauses are not the code's fault.
settings.register_profile(
    "default",
    max_examples=12,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("ci", settings.get_profile("default"), max_examples=120)
# `make test-fast`, the edit-test loop: every generated-input test still runs, on a few
# examples.
settings.register_profile("fast", settings.get_profile("default"), max_examples=3)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
