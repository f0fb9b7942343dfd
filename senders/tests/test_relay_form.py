"""The relay form people can fill: server, port, security, user and password (the URL
built inside), the relay checked before it is saved, what went wrong said in the user's
language, and a relay that does not connect saved only when the user says so.

Real aiosmtpd servers on loopback play the relays (RELAY_ALLOW_PRIVATE lets them be
used); the tests of the guard itself turn it off again."""

import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from config.tests import hostile
from mailings.tests.factories import mailing_to
from senders.models import Relay
from senders.relays import relay_check, relay_save, relay_smtp_settings
from sending.models import Attempt
from sending.passes import run_pass
from sending.tests.smtpd import SmtpServer, free_port, self_signed_certificate
from transport.smtp import SmtpSettings

pytestmark = pytest.mark.django_db

USER = "shop@shop.example"
# Every character a URL gives a meaning to, and a percent sign before two hex digits.
PASSWORD = "p@ss/wo:rd%41?#&+ x"
RAW = ("Errno", "gaierror", "Error:", "Traceback", "[SSL")


@pytest.fixture(autouse=True)
def _sending(settings, tmp_path):
    settings.SEND_RATE = 0
    settings.SMTP_TIMEOUT = 2
    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"
    settings.RELAY_ALLOW_PRIVATE = True  # the test servers are on loopback


@pytest.fixture
def own():
    server = SmtpServer(users={USER: PASSWORD}).start()
    yield server
    server.stop()


def relay_form(port: int, **changes) -> dict:
    return {
        "host": "127.0.0.1",
        "port": str(port),
        "security": "none",
        "username": USER,
        "password": PASSWORD,
        "rate": "5",
        "connections": "2",
        **changes,
    }


def said(response) -> str:
    """Every error the form came back with, as one text."""
    errors = response.context["form"].errors
    return " ".join(message for messages in errors.values() for message in messages)


def nothing_raw(text: str) -> bool:
    return not any(part in text for part in RAW)


# A password that is all punctuation


def test_a_password_with_at_slash_colon_and_percent_logs_in_where_it_is_saved(
    signed_in, owner, own
):
    response = signed_in.submit("/relay/", relay_form(own.port))
    assert response.status_code == 302
    relay = Relay.objects.get(owner=owner)
    config = relay_smtp_settings(relay, timeout=2)
    assert (config.host, config.port, config.username, config.password) == (
        "127.0.0.1",
        own.port,
        USER,
        PASSWORD,
    )
    assert relay.summary == f"smtp://{USER}@127.0.0.1:{own.port}"
    assert own.handler.connections == 1  # the check before saving logged in
    # The engine logs in with it too: the mailing goes out through the relay.
    mailing_to(3, owner=owner)
    run_pass()
    assert own.copies() == {f"reader{i}@example.org": 1 for i in range(3)}


def test_a_saved_password_stays_when_the_field_is_left_empty(signed_in, owner, own):
    signed_in.submit("/relay/", relay_form(own.port))
    page = signed_in.get("/relay/").content.decode()
    assert "Оставьте пустым" in page and PASSWORD not in page
    # Checked and saved again without the password: the saved one logs in.
    check = signed_in.submit("/relay/", relay_form(own.port, password="", check="1"))
    assert 'id="relay-check-ok"' in check.content.decode()
    assert signed_in.submit("/relay/", relay_form(own.port, password="")).status_code == 302
    assert relay_smtp_settings(Relay.objects.get(), timeout=2).password == PASSWORD


# The address, checked before saving


@pytest.mark.parametrize(
    "language, words",
    [
        ("ru", "127.0.0.1 — частный или локальный адрес (127.0.0.1)"),
        ("en", "127.0.0.1 is a private or local address (127.0.0.1)"),
    ],
)
def test_a_private_address_is_refused_on_save_in_the_users_language(
    signed_in, own, settings, language, words
):
    settings.RELAY_ALLOW_PRIVATE = False
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for answer in ({}, {"save_anyway": "1"}):  # no "save anyway" for an address like this
        response = signed_in.submit("/relay/", relay_form(own.port, **answer))
        assert response.status_code == 200
        assert words in " ".join(response.context["form"].errors["host"])
        assert 'id="relay-save-anyway"' not in response.content.decode()
    assert not Relay.objects.exists()
    assert own.handler.connections == 0


def test_a_host_name_that_does_not_exist_is_named(signed_in, own, relay_names, monkeypatch):
    def no_such_name(host, port, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(relay_names, "getaddrinfo", no_such_name)
    response = signed_in.submit("/relay/", relay_form(own.port, host="smtp.nowhere.example"))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["host"])
    assert errors == "Сервера с именем smtp.nowhere.example нет: проверьте, как оно написано."
    assert nothing_raw(response.content.decode())
    assert not Relay.objects.exists()


# A relay that does not connect: asked, then saved when the user says so


def test_a_relay_that_refuses_the_connection_is_saved_only_when_confirmed(
    signed_in, owner, english
):
    port = free_port()  # nothing listens there
    asked = signed_in.submit("/relay/", relay_form(port))
    assert asked.status_code == 200
    page = asked.content.decode()
    assert f"127.0.0.1 refused the connection on port {port}" in said(asked)
    assert 'id="relay-confirm"' in page and 'id="relay-save-anyway"' in page
    # What was typed comes back, so that "save anyway" sends it again.
    assert 'value="p@ss/wo:rd%41?#&amp;+ x"' in page
    assert nothing_raw(page)
    assert not Relay.objects.exists()

    saved = signed_in.submit("/relay/", relay_form(port, save_anyway="1"), follow=True)
    relay = Relay.objects.get(owner=owner)
    assert relay_smtp_settings(relay, timeout=2).port == port
    assert "The relay has been saved, but it does not connect yet" in saved.content.decode()


def test_checking_the_settings_saves_nothing(signed_in, own, english):
    response = signed_in.submit("/relay/", relay_form(own.port, check="1"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="relay-check-ok"' in page and "The relay answered: 250 " in page
    assert own.handler.connections == 1
    assert not Relay.objects.exists()

    wrong = signed_in.submit("/relay/", relay_form(own.port, password="wrong", check="1"))
    assert "The server refused the user name or password" in said(wrong)
    assert "It answered: 535 " in said(wrong)
    assert 'id="relay-save-anyway"' not in wrong.content.decode()  # a check asks nothing
    assert not Relay.objects.exists()


# What each failure is called


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed_certificate(
        tmp_path_factory.mktemp("tls"), common_name="127.0.0.1", alt_name="IP:127.0.0.1"
    )


def checked(server_port: int, *, security: str = "none", password: str = PASSWORD, timeout=2):
    return relay_check(
        SmtpSettings(
            host="127.0.0.1",
            port=server_port,
            username=USER,
            password=password,
            use_tls=security == "starttls",
            use_ssl=security == "ssl",
            timeout=timeout,
            public_only=True,
        )
    )


def test_ssl_on_a_plain_port_is_a_failed_secure_connection(own, english):
    check = checked(own.port, security="ssl")
    assert not check.ok and not check.refused
    assert check.message.startswith(f"The secure connection to 127.0.0.1:{own.port} failed")


def test_starttls_that_the_server_does_not_offer_is_named(own, english):
    check = checked(own.port, security="starttls")
    assert check.message.startswith(f"127.0.0.1 does not offer STARTTLS on port {own.port}")


def test_a_certificate_nobody_vouches_for_is_named(certificate, english):
    _path, context = certificate
    server = SmtpServer(users={USER: PASSWORD}, tls_context=context).start()
    try:
        check = checked(server.port, security="starttls")
    finally:
        server.stop()
    assert check.message == (
        "The certificate of 127.0.0.1 cannot be trusted (self-signed, expired or issued for "
        "another name)."
    )


def test_a_refused_login_is_named_with_the_servers_reply(own):
    check = checked(own.port, password="wrong")
    assert check.message.startswith("Сервер не принял имя пользователя или пароль")
    assert "535 " in check.message


def test_a_server_that_never_greets_is_a_timeout(english):
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never greets
    try:
        check = checked(silent.getsockname()[1], timeout=0.3)
    finally:
        silent.close()
    assert not check.ok
    assert "did not answer within 0.3 seconds" in check.message


def test_every_failure_is_a_sentence_not_an_exception(own, english):
    for port, security in ((own.port, "ssl"), (own.port, "starttls"), (free_port(), "none")):
        message = checked(port, security=security).message
        assert message and nothing_raw(message) and "127.0.0.1" in message


# At send time


def test_a_relay_refused_at_send_time_is_held_with_a_message_in_russian(own, settings):
    settings.RELAY_ALLOW_PRIVATE = False
    owner = UserFactory()
    relay_save(relay=Relay(owner=owner), url=own.url)
    mailing = mailing_to(2, owner=owner)
    run_pass()
    relay = Relay.objects.get()
    expected = (
        "127.0.0.1 — частный или локальный адрес (127.0.0.1): релей должен быть сервером "
        "в интернете."
    )
    assert relay.hold_reason == Relay.Hold.CONFIG and relay.hold_reply == expected
    assert Attempt.objects.get(mailing=mailing).server_response == expected
    assert not own.copies()


def test_a_relay_that_is_down_at_send_time_is_held_with_a_message(relay_names, owner):
    relay_names.address = "127.0.0.1"
    port = free_port()
    relay_save(relay=Relay(owner=owner), url=f"smtp://relay.shop.example:{port}")
    mailing_to(5, owner=owner)
    run_pass()
    relay = Relay.objects.get()
    assert relay.hold_reason == Relay.Hold.CONNECTION
    assert relay.hold_reply.startswith(f"relay.shop.example отклонил соединение на порту {port}")


# Whatever is typed


ports = st.one_of(
    st.sampled_from(["own", "closed"]),
    st.integers().filter(lambda port: not 1 <= port <= 65535).map(str),
    hostile.hostile_text.filter(lambda text: not text.strip().isdigit()),
)


@pytest.mark.slow
def test_no_input_breaks_the_relay_form_or_shows_an_exception(client, own, relay_names):
    relay_names.address = "127.0.0.1"  # every name leads to the test server's machine
    closed = free_port()
    owner = UserFactory()
    client.force_login(owner)

    @given(
        host=st.one_of(st.just("relay.shop.example"), hostile.text),
        port=ports,
        security=st.one_of(st.sampled_from(["none", "starttls", "ssl"]), hostile.hostile_text),
        username=st.one_of(st.just(USER), hostile.text),
        password=st.one_of(st.just(PASSWORD), st.just(""), hostile.text),
        check=hostile.flags,
        save_anyway=hostile.flags,
    )
    def run(host, port, security, username, password, check, save_anyway):
        port = {"own": str(own.port), "closed": str(closed)}.get(port, port)
        data = {"host": host, "port": port, "security": security, "username": username}
        data |= {"password": password, "check": check, "save_anyway": save_anyway}
        response = client.post("/relay/", {**data, "rate": "5", "connections": "2"})
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            page = response.content.decode()
            assert said(response) or 'id="relay-check-ok"' in page
            assert nothing_raw(said(response))
        Relay.objects.filter(owner=owner).delete()

    run()
