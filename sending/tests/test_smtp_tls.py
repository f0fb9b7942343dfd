"""Login, STARTTLS (smtp+tls://) and implicit TLS (smtp+ssl://) through EMAIL_URL, against
aiosmtpd with a certificate made for the test; a certificate we cannot trust pauses."""

from contextlib import contextmanager

import pytest

from mailings.tests.factories import mailing_to
from sending.holds import hold_current
from sending.models import Attempt, TransportHold
from sending.passes import run_pass

from .smtpd import SmtpServer, self_signed_certificate

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed_certificate(
        tmp_path_factory.mktemp("tls"), common_name="127.0.0.1", alt_name="IP:127.0.0.1"
    )


@contextmanager
def serving(**options):
    server = SmtpServer(**options).start()
    try:
        yield server
    finally:
        server.stop()


def test_it_logs_in_after_starttls(certificate, settings):
    cert, context = certificate
    login = {"users": {"mailer": "s3cret"}, "require_starttls": True, "auth_require_tls": True}
    with serving(tls_context=context, **login) as server:
        settings.EMAIL_SSL_CAFILE = str(cert)
        settings.EMAIL_URL = f"smtp+tls://mailer:s3cret@127.0.0.1:{server.port}"
        mailing_to(3)
        run_pass()
        assert Attempt.objects.get().status == Attempt.Status.SUCCESS
        assert len(server.copies()) == 3


def test_it_sends_over_implicit_tls(certificate, settings):
    cert, context = certificate
    with serving(ssl_context=context) as server:
        settings.EMAIL_SSL_CAFILE = str(cert)
        settings.EMAIL_URL = f"smtp+ssl://127.0.0.1:{server.port}"
        mailing_to(2)
        run_pass()
        assert len(server.copies()) == 2


def test_a_certificate_it_cannot_trust_pauses_sending(certificate, settings):
    with serving(ssl_context=certificate[1]) as server:
        settings.EMAIL_URL = f"smtp+ssl://127.0.0.1:{server.port}"  # no EMAIL_SSL_CAFILE
        mailing_to(2)
        run_pass()
        hold = hold_current()
        assert hold.reason == TransportHold.Reason.CONFIG
        assert "CERTIFICATE_VERIFY_FAILED" in hold.server_response
        assert not server.copies()


def test_starttls_asked_of_a_server_without_it_pauses_sending(smtp_server, settings):
    settings.EMAIL_URL = f"smtp+tls://127.0.0.1:{smtp_server.port}"
    mailing_to(2)
    run_pass()
    assert hold_current().server_response == "The server does not offer STARTTLS"
    assert not smtp_server.copies()


def test_both_transports_are_what_the_engine_sends_through(settings):
    from transport.smtp import OutboxTransport, SmtpSettings, SmtpTransport, Transport

    smtp = SmtpTransport(SmtpSettings.from_url("smtp://127.0.0.1:25", timeout=1))
    assert isinstance(smtp, Transport)
    assert isinstance(OutboxTransport(), Transport)
    assert not isinstance(object(), Transport)
