import pytest

from sending.tests.smtpd import SmtpServer


@pytest.fixture
def smtp_server(settings, tmp_path):
    """A real SMTP server (aiosmtpd) the engine sends to, as in sending's own tests."""
    settings.SEND_RATE = 0
    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"
    server = SmtpServer().start()
    settings.EMAIL_URL = server.url
    yield server
    server.stop()
