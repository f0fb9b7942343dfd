# The engine's test settings and its real SMTP server, for the bounces at send time.
from sending.tests.conftest import _sending_settings, smtp_server  # noqa: F401
