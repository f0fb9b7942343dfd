import io
import re

import pytest
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory
from senders import keys
from senders.models import Domain

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

LINE = re.compile(r'^(\S+) TXT "([^"]+)"$')


def run(*args) -> list[str]:
    out = io.StringIO()
    call_command("sender_domain", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().splitlines()


def test_it_creates_the_domain_with_a_2048_bit_key_and_prints_its_records(settings):
    settings.BOUNCE_DOMAIN = ""
    owner = UserFactory(email="shop@example.com")

    lines = run("SHOP@example.com", "Shop.Test.")

    domain = Domain.objects.get(owner=owner)
    assert domain.domain == "shop.test"
    assert domain.verified_at is None
    key = domain.private_key()
    assert key.key_size == 2048
    assert "PRIVATE KEY" not in domain.private_key_encrypted  # encrypted at rest
    records = dict(LINE.match(line).groups() for line in lines)
    assert records[f"{domain.selector}._domainkey.shop.test"] == (
        f"v=DKIM1; k=rsa; p={keys.public_key_base64(key)}"
    )
    assert records["shop.test"].startswith("v=spf1 include:")
    assert records["_dmarc.shop.test"].startswith("v=DMARC1;")
    assert len(lines) == 3


def test_it_is_idempotent_and_trust_verifies_without_dns(settings):
    settings.BOUNCE_DOMAIN = "bounces.platform.test"
    UserFactory(email="shop@example.com")
    first = run("shop@example.com", "shop.test")

    second = run("shop@example.com", "shop.test", "--trust")

    assert first == second
    assert len(second) == 4
    assert second[-1].startswith('bounces.platform.test TXT "v=spf1')
    assert Domain.objects.get().verified_at is not None


def test_an_international_domain_is_kept_as_punycode():
    UserFactory(email="shop@example.com")

    lines = run("shop@example.com", "пример.рф")

    assert Domain.objects.get().domain == "xn--e1afmkfd.xn--p1ai"
    assert lines[1].startswith('xn--e1afmkfd.xn--p1ai TXT "v=spf1')


@pytest.mark.parametrize(
    "bad", ["not a domain", "shop@example.com", "localhost", "bad-.test", "a..test"]
)
def test_what_is_not_a_domain_is_refused_clearly(bad):
    UserFactory(email="shop@example.com")

    with pytest.raises(CommandError, match="domain name"):
        run("shop@example.com", bad)
    assert not Domain.objects.exists()


def test_an_unknown_owner_is_refused():
    with pytest.raises(CommandError, match="No user"):
        run("nobody@example.com", "shop.test")
