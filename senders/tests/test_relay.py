"""Bring your own relay: the URL kept encrypted and never shown again, the test button
(a real aiosmtpd, a server that never answers), the owner's mailings through it at its
own rate, and a relay that cannot be used holding only its owner's runs, never sending
through the platform's server instead."""

import socket

import pytest

from accounts.tests.factories import UserFactory, manager
from mailings.tests.factories import mailing_to
from senders import relays
from senders.models import Relay
from senders.relays import relay_save
from sending import rates
from sending.holds import hold_current, hold_record
from sending.models import Attempt, Delivery, TransportHold
from sending.passes import run_pass
from sending.tests.smtpd import SmtpServer, free_port

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-Pa55"


@pytest.fixture(autouse=True)
def _sending(settings, tmp_path):
    settings.SEND_RATE = 0
    settings.SMTP_TIMEOUT = 2
    settings.SEND_BREAKER_COOLDOWN = 60
    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"
    settings.RELAY_ALLOW_PRIVATE = True  # the test servers are on loopback


@pytest.fixture
def platform(settings):
    server = SmtpServer().start()
    settings.EMAIL_URL = server.url
    yield server
    server.stop()


@pytest.fixture
def own():
    server = SmtpServer(users={"shop": PASSWORD}).start()
    yield server
    server.stop()


def relay_for(owner, server: SmtpServer, **fields) -> Relay:
    return relay_save(relay=Relay(owner=owner, **fields), url=server.url_with("shop", PASSWORD))


def relay_form(server: SmtpServer, **changes) -> dict:
    """The relay page's fields for `server`, logging in as shop."""
    return {
        "host": "127.0.0.1",
        "port": str(server.port),
        "security": "none",
        "username": "shop",
        "password": PASSWORD,
        "rate": "5",
        "connections": "3",
        **changes,
    }


# The page


def test_the_password_is_stored_encrypted_and_never_shown_again(signed_in, owner, own):
    response = signed_in.submit("/relay/", relay_form(own))
    assert response.status_code == 302
    relay = Relay.objects.get(owner=owner)
    assert PASSWORD not in relay.url_encrypted and "shop" not in relay.url_encrypted
    assert relay.url() == own.url_with("shop", PASSWORD)
    page = signed_in.get("/relay/").content.decode()
    assert f"smtp://shop@127.0.0.1:{own.port}" in page
    assert 'value="127.0.0.1"' in page and 'value="shop"' in page  # the form, filled in
    assert PASSWORD not in page
    # Saved again without a password: the stored one stays, the rate changes.
    signed_in.submit("/relay/", relay_form(own, password="", rate="7.5"))
    relay.refresh_from_db()
    assert relay.rate == 7.5 and relay.url() == own.url_with("shop", PASSWORD)


@pytest.mark.parametrize(
    "changes, field, error",
    [
        ({"host": "smtp://relay.example.com"}, "host", "the port, the user and the password"),
        ({"host": "relay.example.com:587"}, "host", "the port, the user and the password"),
        ({"host": "shop:pw@relay.example.com"}, "host", "the port, the user and the password"),
        ({"host": "relay_example com"}, "host", "full name, such as smtp.example.com"),
        ({"host": ""}, "host", "This field is required."),
        ({"port": "notaport"}, "port", "Enter a whole number."),
        ({"port": "70000"}, "port", "less than or equal to 65535"),
        ({"security": "tls"}, "security", "Select a valid choice."),
        ({"password": "пароль"}, "password", "Only Latin letters"),
        ({"username": ""}, "username", "Give the user name this password belongs to."),
    ],
)
def test_what_cannot_make_a_relay_is_refused_beside_its_field(
    signed_in, owner, own, changes, field, error, english
):
    response = signed_in.submit("/relay/", relay_form(own, **changes))
    assert response.status_code == 200
    assert error in " ".join(response.context["form"].errors[field])
    assert not Relay.objects.exists()
    assert own.handler.connections == 0  # nothing to connect to


def test_managers_may_not_see_or_change_anyones_relay(csrf_client, own):
    relay_for(UserFactory(), own)
    csrf_client.force_login(manager())
    assert csrf_client.get("/relay/").status_code == 403
    assert csrf_client.post("/relay/test/").status_code == 403
    assert csrf_client.post("/relay/delete/").status_code == 403


def test_removing_the_relay_sends_through_the_platform_again(signed_in, owner, own):
    relay_for(owner, own)
    response = signed_in.submit("/relay/delete/")
    assert response.status_code == 302
    assert not Relay.objects.exists()


# The test button


def test_the_test_button_shows_the_relays_reply(signed_in, owner, own, english):
    relay_for(owner, own)
    response = signed_in.submit("/relay/test/", form_url="/relay/", follow=True)
    page = response.content.decode()
    assert "The relay answered: 250 " in page
    assert own.handler.connections == 1


def test_the_test_button_shows_a_refused_login(signed_in, owner, own, english):
    relay_save(relay=Relay(owner=owner), url=own.url_with("shop", "wrong"))
    page = signed_in.submit("/relay/test/", form_url="/relay/", follow=True).content.decode()
    assert "The relay cannot be used: The server refused the user name or password" in page
    assert "It answered: 535 " in page


def test_the_test_button_never_hangs_on_a_relay_that_does_not_answer(
    signed_in, owner, monkeypatch, english
):
    monkeypatch.setattr(relays, "TEST_SECONDS", 0.5)
    timeouts = []  # of the connections the button makes
    smtp_settings = relays.relay_smtp_settings
    monkeypatch.setattr(
        relays,
        "relay_smtp_settings",
        lambda relay, *, timeout: timeouts.append(timeout) or smtp_settings(relay, timeout=timeout),
    )
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never greets
    try:
        relay_save(relay=Relay(owner=owner), url=f"smtp://127.0.0.1:{silent.getsockname()[1]}")
        response = signed_in.submit("/relay/test/", form_url="/relay/", follow=True)
    finally:
        silent.close()
    # The one connection waits TEST_SECONDS at most, not SMTP_TIMEOUT (the page itself
    # gives up half a second after that, whatever the connection does).
    assert timeouts == [0.5]
    page = response.content.decode()
    assert "The relay cannot be used" in page or "did not answer within 0.5 seconds" in page


def test_a_relay_on_a_private_address_is_refused_by_default(
    signed_in, owner, own, settings, english
):
    settings.RELAY_ALLOW_PRIVATE = False
    relay_for(owner, own)
    page = signed_in.submit("/relay/test/", form_url="/relay/", follow=True).content.decode()
    assert "private or local address" in page
    assert own.handler.connections == 0


# Sending through it


def test_the_owners_mailings_go_through_their_relay_at_its_rate(platform, own, monkeypatch):
    owner = UserFactory()
    relay = relay_for(owner, own, rate=20)
    mailing_to(11, owner=owner)
    others = mailing_to(3, prefix="other")
    bookings = []  # (schedule, seconds between slots, slots) of each
    book = rates.book
    monkeypatch.setattr(rates, "book", lambda *args: bookings.append(args) or book(*args))
    run_pass()
    # Eleven messages at 20 a second through the relay: slots 50 ms apart on the relay's
    # own schedule (each message waits for its slot: sending/tests/test_pool.py), none
    # on the platform's (no SEND_RATE here).
    assert {(key, interval) for key, interval, _ in bookings} == {(f"relay-{relay.pk}", 0.05)}
    assert sum(slots for *_, slots in bookings) >= 11
    assert own.copies() == {f"reader{i}@example.org": 1 for i in range(11)}
    assert platform.copies() == {f"other{i}@example.org": 1 for i in range(3)}
    assert Attempt.objects.get(mailing__owner=owner).status == Attempt.Status.SUCCESS
    assert Attempt.objects.get(mailing=others).status == Attempt.Status.SUCCESS


def test_a_relay_key_that_fails_to_decrypt_holds_the_run_and_says_so(
    platform, own, settings, csrf_client, english
):
    owner = UserFactory()
    relay_for(owner, own)
    mailing = mailing_to(4, owner=owner)
    settings.FIELD_ENCRYPTION_KEY = ["another key"]
    run_pass()
    # Nothing sent, neither through the relay nor through the platform's server.
    assert not own.copies() and not platform.copies()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}
    attempt = Attempt.objects.get(mailing=mailing)
    assert attempt.status == Attempt.Status.IN_PROGRESS
    relay = Relay.objects.get()
    assert relay.hold_reason == Relay.Hold.KEY and relay.is_held()
    assert hold_current() is None  # the platform's sending goes on
    csrf_client.force_login(owner)
    page = csrf_client.get("/mailings/")
    assert page.status_code == 200
    assert "cannot be decrypted" in page.content.decode()
    test = csrf_client.submit("/relay/test/", form_url="/relay/", follow=True)
    assert test.status_code == 200 and "cannot be decrypted" in test.content.decode()
    # The owner enters the relay again: the hold is lifted and the run goes out through it.
    assert (
        "enter it again"
        in csrf_client.submit("/relay/", relay_form(own, password="")).content.decode()
    )
    assert csrf_client.submit("/relay/", relay_form(own)).status_code == 302
    run_pass()
    assert own.copies() == {f"reader{i}@example.org": 1 for i in range(4)}
    assert not platform.copies()
    assert "cannot be decrypted" not in csrf_client.get("/mailings/").content.decode()


def test_a_relay_that_is_down_holds_only_its_owners_runs(platform):
    owner = UserFactory()
    relay_save(relay=Relay(owner=owner), url=f"smtp://127.0.0.1:{free_port()}")
    mailing_to(5, owner=owner)
    mailing_to(3, prefix="other")
    run_pass()
    relay = Relay.objects.get()
    assert relay.hold_reason == Relay.Hold.CONNECTION and relay.is_held()
    assert hold_current() is None
    assert platform.copies() == {f"other{i}@example.org": 1 for i in range(3)}
    owner_rows = Delivery.objects.filter(attempt__mailing__owner=owner)
    assert not owner_rows.filter(status="sent").exists()
    # Held: the next pass does not knock on the relay again.
    run_pass()
    assert Relay.objects.get().hold_openings == 1


def test_a_refused_login_holds_the_run_with_a_banner(platform, own, csrf_client, english):
    owner = UserFactory()
    relay_save(relay=Relay(owner=owner), url=own.url_with("shop", "wrong"))
    mailing_to(2, owner=owner)
    run_pass()
    relay = Relay.objects.get()
    assert relay.hold_reason == Relay.Hold.AUTH
    assert not platform.copies() and not own.copies()
    csrf_client.force_login(owner)
    page = csrf_client.get("/mailings/").content.decode()
    assert "Your mailings are held." in page and "535" in page


def test_the_platforms_hold_does_not_stop_mailings_through_an_own_relay(platform, own):
    owner = UserFactory()
    relay_for(owner, own)
    mailing_to(3, owner=owner)
    others = mailing_to(2, prefix="other")
    hold_record(reason=TransportHold.Reason.AUTH, server_response="535 Authentication failed")
    report = run_pass()
    assert report.hold is not None
    assert own.copies() == {f"reader{i}@example.org": 1 for i in range(3)}
    # The platform's own mailings wait for its hold, unclaimed.
    assert not platform.copies()
    assert not Attempt.objects.filter(mailing=others).exists()


def test_the_platforms_pause_banner_is_not_shown_to_an_own_relays_owner(own, csrf_client):
    hold_record(reason=TransportHold.Reason.AUTH, server_response="535 Authentication failed")
    with_relay, without = UserFactory(), UserFactory()
    relay_for(with_relay, own)

    csrf_client.force_login(without)
    assert 'id="sending-paused"' in csrf_client.get("/mailings/").content.decode()
    csrf_client.force_login(with_relay)
    page = csrf_client.get("/mailings/").content.decode()
    assert 'id="sending-paused"' not in page
    assert 'id="relay-trouble"' not in page  # their relay is fine


def test_the_admin_lists_relays_without_their_password(own, client):
    relay = relay_for(UserFactory(), own)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    listing = client.get("/admin/senders/relay/").content.decode()
    change = client.get(f"/admin/senders/relay/{relay.pk}/change/").content.decode()

    assert relay.summary in listing
    assert PASSWORD not in listing + change
    assert client.get("/admin/senders/relay/add/").status_code == 403
