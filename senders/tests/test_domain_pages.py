import pytest
from django.test import override_settings

from senders.dns_checks import records_for
from senders.models import Domain

from .factories import DomainFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_adding_a_domain_shows_the_records_to_publish(signed_in, owner):
    response = signed_in.submit("/domains/new/", {"domain": "Shop.Test"})

    domain = Domain.objects.get(owner=owner)
    assert response.status_code == 302
    assert response["Location"] == f"/domains/{domain.pk}/"
    page = signed_in.get(response["Location"]).content.decode()
    assert f"{domain.selector}._domainkey.shop.test" in page
    assert f"p={domain.public_key}" in page
    assert "v=DMARC1" in page


@pytest.mark.parametrize("typed", ["not a domain", "http://shop.test/", "localhost", "a..b"])
def test_what_is_not_a_domain_is_a_form_error(signed_in, owner, typed):
    response = signed_in.submit("/domains/new/", {"domain": typed})

    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    assert not Domain.objects.exists()


def test_an_international_domain_is_accepted_and_shown_in_its_own_letters(signed_in, owner):
    response = signed_in.submit("/domains/new/", {"domain": "Пример.рф"})

    domain = Domain.objects.get()
    assert domain.domain == "xn--e1afmkfd.xn--p1ai"
    assert "пример.рф" in signed_in.get(response["Location"]).content.decode()


def test_check_shows_each_records_state(signed_in, owner, dns_server):
    domain = DomainFactory(owner=owner, domain="shop.test")
    dkim = records_for(domain)[0]
    dns_server({dkim.name: [dkim.value], "shop.test": ["v=spf1 include:elsewhere.test ~all"]})

    response = signed_in.submit(f"/domains/{domain.pk}/check/", {}, form_url="/domains/")

    assert response.status_code == 302
    page = signed_in.get(f"/domains/{domain.pk}/").content.decode()
    assert 'data-kind="dkim" data-state="ok"' in page
    assert 'data-kind="spf" data-state="wrong"' in page
    assert "v=spf1 include:elsewhere.test ~all" in page  # what was found
    assert 'data-kind="dmarc" data-state="missing"' in page
    domain.refresh_from_db()
    assert domain.is_verified


@pytest.mark.slow
def test_a_dns_server_that_times_out_is_a_message_not_an_error(signed_in, owner, silent_dns):
    domain = DomainFactory(owner=owner, domain="shop.test")

    response = signed_in.submit(
        f"/domains/{domain.pk}/check/", {}, form_url="/domains/", follow=True
    )

    assert response.status_code == 200
    assert "did not answer within" in response.content.decode()


def test_the_page_still_shows_the_records_after_the_encryption_key_changed(signed_in, owner):
    domain = DomainFactory(owner=owner, domain="shop.test")

    with override_settings(FIELD_ENCRYPTION_KEY=["a different key"]):
        page = signed_in.get(f"/domains/{domain.pk}/")

    assert page.status_code == 200
    assert domain.public_key in page.content.decode()


def test_an_existing_spf_record_gets_ours_merged_in(signed_in, owner, dns_server, settings):
    settings.SPF_INCLUDE = "relay.platform.test"
    domain = DomainFactory(owner=owner, domain="shop.test")
    dns_server({"shop.test": ["v=spf1 include:_spf.google.com ip4:192.0.2.1 -all"]})

    signed_in.submit(f"/domains/{domain.pk}/check/", {}, form_url="/domains/")

    page = signed_in.get(f"/domains/{domain.pk}/").content.decode()
    merged = "v=spf1 include:_spf.google.com ip4:192.0.2.1 include:relay.platform.test -all"
    assert f'<code class="text-break">{merged}</code>' in page
    assert f'data-copy="{merged}"' in page


def test_the_platforms_return_path_record_is_not_the_users_to_publish(signed_in, owner, settings):
    settings.BOUNCE_DOMAIN = "bounces.platform.test"
    domain = DomainFactory(owner=owner, domain="shop.test")

    page = signed_in.get(f"/domains/{domain.pk}/").content.decode()

    assert "bounces.platform.test" not in page
    assert 'data-kind="spf"' in page


@pytest.mark.parametrize(
    ("found", "merged"),
    [
        (["v=spf1 ~all"], "v=spf1 include:relay.platform.test ~all"),
        (
            ["v=spf1 mx redirect=_spf.example.net"],
            "v=spf1 mx include:relay.platform.test redirect=_spf.example.net",
        ),
        # Two records fail SPF permanently: one record with what both allowed.
        (["v=spf1 a -all", "v=spf1 mx A ~all"], "v=spf1 a mx include:relay.platform.test -all"),
        (["v=spf1 include:RELAY.platform.test -all"], "v=spf1 include:RELAY.platform.test -all"),
    ],
)
def test_spf_merge(settings, found, merged):
    from senders.dns_checks import spf_merged

    settings.SPF_INCLUDE = "relay.platform.test"
    assert spf_merged(found) == merged
