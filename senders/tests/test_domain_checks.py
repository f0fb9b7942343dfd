"""Domain checks against a real DNS server (dnsmasq on loopback)."""

import pytest
from django.utils import timezone

from senders.dns_checks import ERROR, MISSING, OK, WRONG, records_for
from senders.services import domain_check

from .factories import DomainFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def states(results) -> dict[str, str]:
    return {result["kind"]: result["state"] for result in results}


def published(domain) -> dict[str, list[str]]:
    return {record.name: [record.value] for record in records_for(domain)}


def test_every_published_record_is_ok_and_the_domain_verified(dns_server, settings):
    settings.BOUNCE_DOMAIN = "bounces.platform.test"
    domain = DomainFactory(domain="shop.test")
    dns_server(published(domain))

    results = domain_check(domain=domain)

    assert states(results) == {"dkim": OK, "spf": OK, "dmarc": OK, "return_path": OK}, results
    domain.refresh_from_db()
    assert domain.verified_at is not None
    assert domain.checked_at is not None
    assert states(domain.check_results)["dkim"] == OK


def test_nothing_published_is_missing_and_not_verified(dns_server):
    domain = DomainFactory(domain="shop.test")
    dns_server({"other.test": ["v=spf1 -all"]})

    results = domain_check(domain=domain)

    assert states(results) == {"dkim": MISSING, "spf": MISSING, "dmarc": MISSING}, results
    domain.refresh_from_db()
    assert domain.verified_at is None


def test_wrong_records_say_what_was_found(dns_server, settings):
    settings.SPF_INCLUDE = "relay.platform.test"
    domain = DomainFactory(domain="shop.test")
    dkim_name = f"{domain.selector}._domainkey.shop.test"
    dns_server(
        {
            dkim_name: ["v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnotours"],
            "shop.test": ["v=spf1 include:_spf.google.com ~all"],
            "_dmarc.shop.test": ["v=DMARC1; p=none", "v=DMARC1; p=reject"],
        }
    )

    results = domain_check(domain=domain)

    assert states(results) == {"dkim": WRONG, "spf": WRONG, "dmarc": WRONG}, results
    spf = next(result for result in results if result["kind"] == "spf")
    assert spf["found"] == ["v=spf1 include:_spf.google.com ~all"]
    assert domain.verified_at is None


def test_a_record_removed_later_takes_the_verification_back(dns_server):
    domain = DomainFactory(domain="shop.test", verified_at=timezone.now())
    dns_server({"shop.test": ["v=spf1 -all"]})

    domain_check(domain=domain)

    domain.refresh_from_db()
    assert domain.verified_at is None


@pytest.mark.slow
def test_a_dns_server_that_never_answers_is_a_clear_message(silent_dns):
    domain = DomainFactory(domain="shop.test", verified_at=timezone.now())

    results = domain_check(domain=domain)

    assert {result["state"] for result in results} == {ERROR}
    assert "did not answer within 0.5 seconds" in results[0]["message"]
    domain.refresh_from_db()
    assert domain.verified_at is not None  # a failed lookup proves nothing either way


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("localhost", "DNS_RESOLVER must be host:port"),
        ("resolver.example:53", "DNS_RESOLVER must name the resolver by its IP address"),
    ],
)
def test_a_malformed_resolver_setting_is_a_clear_message(settings, value, message):
    settings.DNS_RESOLVER = value
    domain = DomainFactory(domain="shop.test")

    results = domain_check(domain=domain)

    assert {result["state"] for result in results} == {ERROR}
    assert message in results[0]["message"]


def test_only_one_account_can_verify_a_domain(dns_server):
    first = DomainFactory(domain="shop.test", verified_at=timezone.now())
    squatter = DomainFactory(domain="shop.test")
    assert first.owner != squatter.owner
    dns_server(published(squatter))

    results = domain_check(domain=squatter)

    squatter.refresh_from_db()
    assert squatter.verified_at is None
    assert "verified by another account" in results[0]["message"], results
