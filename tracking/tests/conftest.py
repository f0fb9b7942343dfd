import pytest

from sending.tests.smtpd import SmtpServer
from tracking.intake import link_targets, recent_hits


@pytest.fixture(autouse=True)
def _tracking_settings(settings, tmp_path):
    settings.SEND_RATE = 0
    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"
    settings.EMAIL_URL = ""
    settings.SITE_URL = "https://mail.rassylka.example"
    settings.TRACKING_MACHINE_SECONDS = 5
    # Ids come round again from one test to the next (rolled back), as they never do in
    # a database that keeps its rows.
    recent_hits.clear()
    link_targets.clear()


@pytest.fixture
def smtp_server(settings):
    server = SmtpServer().start()
    settings.EMAIL_URL = server.url
    yield server
    server.stop()
