import pytest

from .smtpd import SmtpServer

# Small enough to keep the suite fast, large enough for a loaded machine.
TEST_SMTP_TIMEOUT = 0.5


@pytest.fixture(autouse=True)
def _sending_settings(settings, tmp_path):
    settings.SEND_RATE = 0
    settings.SMTP_TIMEOUT = TEST_SMTP_TIMEOUT
    settings.SEND_RETRY_BACKOFF = 0.3
    settings.SEND_RETRY_BACKOFF_MAX = 1.0
    settings.SEND_BREAKER_COOLDOWN = 0.5
    settings.SEND_PAUSE_RECHECK = 60
    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"
    settings.EMAIL_URL = ""


@pytest.fixture
def smtp_server(settings):
    server = SmtpServer().start()
    settings.EMAIL_URL = server.url
    yield server
    server.stop()
