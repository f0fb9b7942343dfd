"""Account emails (sign-up confirmation, password reset) name the site by SITE_NAME and
its public address, not by the host the request reached, and carry an HTML part."""

import pytest
from django.core import mail

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-Horse-battery-7"


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_confirmation_greets_with_the_sites_name_in_text_and_html(
    csrf_client, settings, language
):
    settings.SITE_NAME = "Почтальон"
    settings.SITE_URL = "https://mail.example.com"
    csrf_client.cookies["django_language"] = language
    # The request reaches the server by another name, as behind `make run PORT=8302`.
    csrf_client.submit(
        "/accounts/signup/",
        {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD},
        HTTP_HOST="127.0.0.1:8302",
    )
    [message] = mail.outbox
    assert "127.0.0.1:8302!" not in message.body
    assert "Почтальон" in message.subject and "Почтальон" in message.body
    html = html_of(message)
    assert "Почтальон" in html and "127.0.0.1:8302!" not in html
    assert 'href="https://mail.example.com"' in html
    # The link in both parts confirms the address.
    assert "/accounts/confirm-email/" in message.body and "/accounts/confirm-email/" in html
    greeting = "Здравствуйте! Это Почтальон." if language == "ru" else "Hello from Почтальон!"
    assert greeting in html


def test_the_default_site_name_is_rassylka(csrf_client, settings):
    assert settings.SITE_NAME == "Rassylka"
    csrf_client.submit(
        "/accounts/signup/",
        {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    [message] = mail.outbox
    assert message.subject.startswith("[Rassylka] ")
    assert message.body.startswith("Здравствуйте! Это Rassylka.")


def test_the_password_reset_has_an_html_part_with_the_link(csrf_client):
    UserFactory(email="forgot@example.com")
    csrf_client.submit("/accounts/password/reset/", {"email": "forgot@example.com"})
    [message] = mail.outbox
    html = html_of(message)
    assert "/accounts/password/reset/key/" in message.body
    assert 'href="http://testserver/accounts/password/reset/key/' in html
    assert "Rassylka" in html
