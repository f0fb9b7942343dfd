"""Settings for the test suite: the real settings with a few local overrides."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "insecure-key-for-tests-only")
os.environ.setdefault("ENV_FILE", os.devnull)
# A var folder (SQLite test database, file cache, media, outbox, send lock) of each test
# process's own, shared with the processes its tests start. xdist's workers inherit the
# environment of the pytest that started them, so each takes a folder of its own.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if "VAR_DIR" not in os.environ or os.environ.get("TEST_VAR_DIR_WORKER", "") != _worker:
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix=f"rassylka-test-{_worker}")
    os.environ["TEST_VAR_DIR_WORKER"] = _worker
# Playwright's sync API runs an event loop in the test thread; the ORM calls there are
# ordinary synchronous test code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from .settings import *  # noqa: E402,F403
from .settings import CACHES, DATABASES, STATIC_ROOT, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES["default"]["KEY_PREFIX"] = f"rassylka-test-{os.getpid()}"
# A file, not memory, so that tests may start other processes on the same test database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
# A tracked request writes its hit itself, so a test sees it at once
# (tracking/tests/test_buffer.py covers the buffered writes).
TRACKING_FLUSH_MS = 0
# Allauth's rate limits would otherwise throttle tests that log in many times.
ACCOUNT_RATE_LIMITS = False
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
