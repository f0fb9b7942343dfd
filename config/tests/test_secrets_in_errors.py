"""No URL's password in an error page (DEBUG, the `make run` default), an error report or
a log line (issue 23: EMAIL_URL, BOUNCE_MAILBOX_URL and CELERY_BROKER_URL were shown in
clear on the debug page)."""

import io
import logging
import sys

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import path
from django.views.debug import get_exception_reporter_class

from config.redaction import MaskUrlPasswords, mask_url_passwords


def broken_view(request):
    # In a local variable and in the error's text. (The page shows the lines around
    # this one: no password is written here.)
    relay_url = django_settings.EMAIL_URL.replace("smtp.example.com", "relay.example.com")
    raise OSError(f"could not reach {relay_url}")


urlpatterns = [path("broken/", broken_view)]


PASSWORDS = {
    "EMAIL_URL": ("smtp+tls://mailer:em4il-Secret@smtp.example.com:587", "em4il-Secret"),
    "BOUNCE_MAILBOX_URL": ("imaps://bounces:b0unce-Secret@imap.example.com/INBOX", "b0unce-Secret"),
    "CELERY_BROKER_URL": ("redis://:br0ker-Secret@redis.internal:6379/0", "br0ker-Secret"),
    "CELERY_RESULT_BACKEND": ("redis://default:re5ult-Secret@redis.internal/1", "re5ult-Secret"),
    "DATABASE_URL": ("postgres://app:d4tabase-Secret@db.internal/app", "d4tabase-Secret"),
    "CACHE_URL": ("redis://:c4che-Secret@cache.internal:6379/2", "c4che-Secret"),
}
# An unescaped "@" in the password is masked with the rest of it.
ODD = ("amqp://guest:odd@Secret@rabbit:5672//", "odd@Secret")


@pytest.fixture
def secrets_everywhere(settings, monkeypatch):
    settings.DEBUG = True
    for name, (url, _password) in PASSWORDS.items():
        setattr(settings, name, url)
        # runserver hands the environment to the page as request.META.
        monkeypatch.setenv(name, url)
    settings.ODD_BROKER_URL = ODD[0]
    settings.CACHES = {
        **settings.CACHES,
        "sessions": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": ["redis://:n3sted-Secret@redis-a:6379/3", "redis://redis-b:6379/3"],
        },
    }
    return [password for _url, password in PASSWORDS.values()] + [
        ODD[1],
        "n3sted-Secret",
    ]


def _page(environ: dict) -> str:
    client = Client(raise_request_exception=False, **environ)
    response = client.get("/broken/")
    assert response.status_code == 500
    return response.content.decode()


@pytest.mark.urls(__name__)
def test_the_debug_page_shows_no_password(secrets_everywhere):
    import os

    page = _page({name: os.environ[name] for name in PASSWORDS})
    assert "smtp.example.com" in page and "imap.example.com" in page  # shown, but masked
    assert "redis-a:6379" in page
    for password in secrets_everywhere:
        assert password not in page, password


@pytest.mark.urls(__name__)
def test_the_debug_page_for_a_script_shows_no_password(secrets_everywhere):
    client = Client(raise_request_exception=False, HTTP_ACCEPT="text/plain")
    page = client.get("/broken/").content.decode()
    assert "Traceback" in page
    for password in secrets_everywhere:
        assert password not in page, password


def _report(request):
    # The traceback starts here: the test's own variables (the passwords) are not in it.
    try:
        broken_view(request)
    except OSError:
        reporter = get_exception_reporter_class(request)(request, *sys.exc_info())
    return reporter.get_traceback_text() + reporter.get_traceback_html()


def test_an_error_report_shows_no_password(secrets_everywhere, rf):
    report = _report(rf.get("/broken/"))
    assert "relay.example.com" in report
    for password in secrets_everywhere:
        assert password not in report, password


def _handlers_of(name: str) -> list[logging.Handler]:
    """The handlers a record of this logger reaches (but pytest's own)."""
    found, logger = [], logging.getLogger(name)
    while logger:
        found += [h for h in logger.handlers if not type(h).__module__.startswith("_pytest")]
        logger = logger.parent if logger.propagate else None
    return found


@pytest.mark.urls(__name__)
def test_the_logged_error_shows_no_password(secrets_everywhere):
    handlers = _handlers_of("django.request")
    assert handlers
    assert all(any(isinstance(f, MaskUrlPasswords) for f in h.filters) for h in handlers)
    stream = io.StringIO()
    previous = [handler.setStream(stream) for handler in handlers]
    try:
        _page({})
    finally:
        for handler, old in zip(handlers, previous, strict=True):
            handler.setStream(old)
    logged = stream.getvalue()
    assert "Internal Server Error: /broken/" in logged and "relay.example.com" in logged
    for password in secrets_everywhere:
        assert password not in logged, password


def test_every_log_handler_masks_passwords():
    handlers = django_settings.LOGGING["handlers"]
    assert all("mask_url_passwords" in handler["filters"] for handler in handlers.values())


def test_a_log_line_and_its_traceback_are_masked():
    handler = logging.StreamHandler()
    handler.addFilter(MaskUrlPasswords())
    try:
        raise OSError(f"Error connecting to {PASSWORDS['CELERY_BROKER_URL'][0]}")
    except OSError:
        record = logging.LogRecord(
            "celery", logging.ERROR, __file__, 1, "broker %s is away", (ODD[0],), sys.exc_info()
        )
    assert handler.filter(record)
    line = handler.format(record)
    assert "broker amqp://guest:********@rabbit:5672// is away" in line
    assert "redis://:********@redis.internal:6379/0" in line
    assert "br0ker-Secret" not in line and "odd@Secret" not in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("smtp://u:p@h:25", "smtp://u:********@h:25"),
        ("redis://:p@h/0", "redis://:********@h/0"),
        ("http://h:8000/path?a=b@c", "http://h:8000/path?a=b@c"),  # a port, no password
        ("smtp://user@h", "smtp://user@h"),  # no password
        # A mailbox as the login (Yandex, Mailgun), found in review.
        (
            "smtp+tls://me@yandex.ru:S3cret@smtp.yandex.ru:587",
            "smtp+tls://me@yandex.ru:********@smtp.yandex.ru:587",
        ),
        (
            "a postgres://u:p@h/db and redis://:q@r/0",
            "a postgres://u:********@h/db and redis://:********@r/0",
        ),
        ("mailto:someone@example.org", "mailto:someone@example.org"),
    ],
)
def test_what_is_masked(text, expected):
    assert mask_url_passwords(text) == expected
