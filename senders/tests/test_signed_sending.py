"""A mailing from a verified domain leaves signed, as its sender, and verifies: the real
engine, the real SMTP server (aiosmtpd) and dkimpy checking against dnsmasq's record."""

import re
from email import message_from_bytes, policy

import dkim
import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.tests.factories import UserFactory
from mailings.tests.factories import mailing_to
from senders.dns_checks import records_for, resolver, txt_lookup
from senders.envelope import delivery_id_from_bounce
from sending.models import Attempt, Delivery
from sending.passes import run_pass
from sending.tests.smtpd import SmtpServer

from .factories import DomainFactory, SenderFactory

pytestmark = pytest.mark.django_db

REQUIRED_SIGNED = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "list-id",
    "feedback-id",
}


@pytest.fixture(autouse=True)
def _sending(settings, tmp_path):
    settings.SEND_RATE = 0
    settings.SMTP_TIMEOUT = 2
    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"
    settings.DEFAULT_FROM_EMAIL = "Rassylka <noreply@platform.test>"
    settings.BOUNCE_DOMAIN = ""


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    settings.EMAIL_URL = server.url
    yield server
    server.stop()


@pytest.fixture
def shop():
    owner = UserFactory(first_name="Иван", last_name="Петров", email="ivan@owner.test")
    domain = DomainFactory(owner=owner, domain="shop.test", verified_at=timezone.now())
    sender = SenderFactory(
        owner=owner,
        name="Лавка «Ромашка»",
        email="news@shop.test",
        reply_to="help@shop.test",
        postal_address="Москва, ул. Лесная, 1",
    )
    return owner, domain, sender


def dns_txt(name: bytes, timeout: int = 5) -> bytes:
    """dkimpy's DNS lookup, answered by the test's dnsmasq through dnspython."""
    found = txt_lookup(name.decode().rstrip("."), resolver())
    return found[0].encode() if found else b""


def received(server: SmtpServer) -> list:
    return [message_from_bytes(data, policy=policy.default) for _rcpt, data in server.messages]


def test_a_mailing_from_a_verified_domain_arrives_signed_and_verifies(shop, smtp, dns_server):
    owner, domain, sender = shop
    dns_server({record.name: [record.value] for record in records_for(domain)})
    mailing = mailing_to(2, owner=owner, sender=sender, language="en")

    run_pass()

    assert len(smtp.messages) == 2
    for _rcpt, data in smtp.messages:
        assert dkim.verify(data, dnsfunc=dns_txt)
        signature = dkim.DKIM(data)
        signature.verify(dnsfunc=dns_txt)
        assert signature.domain == b"shop.test"
        signed = {name.decode().lower() for name in signature.include_headers}
        assert signed >= REQUIRED_SIGNED
        assert signature.keysize == 2048
    message = received(smtp)[0]
    assert message["From"].addresses[0].display_name == "Лавка «Ромашка»"
    assert message["From"].addresses[0].addr_spec == "news@shop.test"
    assert message["Reply-To"] == "help@shop.test"
    assert message["List-Id"] == f"<mailing-{mailing.pk}.shop.test>"
    assert message["Feedback-ID"] == f"{mailing.pk}:{owner.pk}:rassylka"
    assert re.fullmatch(r"<\d+\.\d+\.[\w-]{43}@shop\.test>", message["Message-ID"])
    text = message.get_body(("plain",)).get_content()
    assert "mailing list of Лавка «Ромашка»" in text  # the mailing's language, its sender
    assert "Москва, ул. Лесная, 1" in text
    assert "Rassylka" not in text


def test_a_change_after_signing_fails_verification(shop, smtp, dns_server):
    owner, domain, sender = shop
    dns_server({record.name: [record.value] for record in records_for(domain)})
    mailing_to(1, owner=owner, sender=sender)

    run_pass()

    data = smtp.messages[0][1]
    assert dkim.verify(data, dnsfunc=dns_txt)
    assert not dkim.verify(
        data.replace(
            b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"List-Unsubscribe-Post: nothing"
        ),
        dnsfunc=dns_txt,
    )


def test_each_delivery_has_its_own_signed_return_path(shop, smtp, settings):
    settings.BOUNCE_DOMAIN = "bounces.platform.test"
    owner, _domain, sender = shop
    mailing_to(2, owner=owner, sender=sender)

    run_pass()

    paths = dict(smtp.handler.return_paths)
    assert len(set(paths.values())) == 2
    for rcpt, path in paths.items():
        assert re.fullmatch(r"bounce\+[\w.-]+@bounces\.platform\.test", path)
        delivery = Delivery.objects.get(pk=delivery_id_from_bounce(path))
        assert delivery.email == rcpt
    forged = next(iter(paths.values())).replace("bounce+", "bounce+1")
    assert delivery_id_from_bounce(forged) is None


def test_without_a_sender_it_is_the_platforms_address_with_the_owners_name(shop, smtp):
    owner, _domain, _sender = shop
    mailing_to(1, owner=owner, language="ru")

    run_pass()

    message = received(smtp)[0]
    assert message["From"].addresses[0].display_name == "Иван Петров"
    assert message["From"].addresses[0].addr_spec == "noreply@platform.test"
    assert message["Reply-To"] == "ivan@owner.test"
    assert message["DKIM-Signature"] is None
    assert smtp.handler.return_paths[0][1] == "noreply@platform.test"
    # «рассылки от «…»»: a name in its own case, never declined wrongly.
    assert "рассылки от «Иван Петров»" in message.get_body(("plain",)).get_content()


def test_a_sender_no_longer_usable_falls_back_to_the_platform_address(shop, smtp):
    owner, domain, sender = shop
    domain.delete()  # neither a verified domain nor a confirmed link any more
    mailing_to(1, owner=owner, sender=sender)

    run_pass()

    message = received(smtp)[0]
    assert message["From"].addresses[0].addr_spec == "noreply@platform.test"
    assert message["DKIM-Signature"] is None


def test_a_key_that_cannot_be_decrypted_stops_the_run_and_sends_nothing(shop, smtp):
    owner, _domain, sender = shop
    mailing = mailing_to(2, owner=owner, sender=sender)

    with override_settings(FIELD_ENCRYPTION_KEY=["the key was changed"]):
        run_pass()

    assert smtp.messages == []
    attempt = Attempt.objects.get(mailing=mailing)
    assert attempt.status == Attempt.Status.FAILURE
    assert "cannot be decrypted" in attempt.server_response
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.FAILED}
    assert "FIELD_ENCRYPTION_KEY" in Delivery.objects.first().server_response
