import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import override_settings

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {"email": "New.Person@Example.com", "password1": PASSWORD, "password2": PASSWORD}


def confirmation_path(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", message.body).group(1)


def test_it_signs_up_confirms_and_logs_in_with_csrf(csrf_client):
    response = csrf_client.submit("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "new.person@example.com"
    assert not EmailAddress.objects.get(user=user).verified

    assert len(mail.outbox) == 1
    path = confirmation_path(mail.outbox[0])
    # Mail scanners open links: GET only shows the page, the POST confirms.
    assert csrf_client.get(path).status_code == 200
    assert not EmailAddress.objects.get(user=user).verified
    assert csrf_client.submit(path).status_code == 302
    assert EmailAddress.objects.get(user=user).verified

    response = csrf_client.submit(
        "/accounts/login/", {"login": "new.person@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert csrf_client.get("/accounts/profile/").status_code == 200


def test_it_rejects_a_post_without_csrf_token():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/accounts/signup/", SIGNUP)
    assert response.status_code == 403
    assert not User.objects.exists()


def test_an_unconfirmed_account_cannot_log_in(csrf_client):
    UserFactory(email="pending@example.com", verified=False)
    response = csrf_client.submit(
        "/accounts/login/", {"login": "pending@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert csrf_client.get("/accounts/profile/").status_code == 302


def test_a_blocked_user_cannot_log_in_and_is_told_why(csrf_client):
    UserFactory(email="blocked@example.com", is_active=False)
    response = csrf_client.submit(
        "/accounts/login/", {"login": "blocked@example.com", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/accounts/inactive/"
    assert "blocked" in response.content.decode().lower() or "заблокирован" in (
        response.content.decode().lower()
    )
    assert csrf_client.get("/accounts/profile/").status_code == 302


def test_blocking_ends_an_open_session(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get("/accounts/profile/").status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get("/accounts/profile/").status_code == 302


def test_the_same_email_in_other_case_cannot_sign_up_twice(csrf_client):
    UserFactory(email="taken@example.com")
    csrf_client.submit("/accounts/signup/", {**SIGNUP, "email": "TAKEN@example.com"})
    assert User.objects.count() == 1
    # allauth does not reveal that the address exists; it tells its owner by email.
    assert mail.outbox[0].to == ["TAKEN@example.com".lower()] or mail.outbox[0].to == [
        "TAKEN@example.com"
    ]
    assert "already" in mail.outbox[0].body.lower() or "уже" in mail.outbox[0].body.lower()


@override_settings(ACCOUNT_RATE_LIMITS={"login_failed": "3/m/ip"})
def test_failed_logins_are_rate_limited(csrf_client):
    UserFactory(email="victim@example.com")
    errors = [
        str(
            csrf_client.submit(
                "/accounts/login/", {"login": "victim@example.com", "password": "wrong"}
            )
            .context["form"]
            .errors
        )
        for _ in range(4)
    ]
    assert all("Too many" not in e and "Слишком много" not in e for e in errors[:3])
    assert "Too many" in errors[3] or "Слишком много" in errors[3]
    # Even the right password is refused while the limit holds.
    response = csrf_client.submit(
        "/accounts/login/", {"login": "victim@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200


@override_settings(ACCOUNT_RATE_LIMITS={"signup": "2/m/ip"})
def test_signup_is_rate_limited(csrf_client):
    statuses = [
        csrf_client.submit(
            "/accounts/signup/", {**SIGNUP, "email": f"s{n}@example.com"}
        ).status_code
        for n in range(4)
    ]
    assert 429 in statuses
    assert User.objects.count() == 2


def test_password_reset_sends_a_link(csrf_client):
    UserFactory(email="forgot@example.com")
    response = csrf_client.submit("/accounts/password/reset/", {"email": "forgot@example.com"})
    assert response.status_code == 302
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


@pytest.mark.django_db
def test_the_database_refuses_a_second_account_for_the_same_mailbox_in_another_case():
    from django.db import IntegrityError, transaction

    from accounts.models import User

    User.objects.create(email="anna@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="Anna@Example.org")  # around the manager, which lowers it


def test_the_check_your_email_page_offers_a_way_on(client, settings):
    settings.SUPPORT_EMAIL = ""
    page = client.get("/accounts/confirm-email/").content.decode()
    assert 'href="/accounts/login/"' in page
    assert "mailto:" not in page
    settings.SUPPORT_EMAIL = "help@shop.example"
    page = client.get("/accounts/confirm-email/").content.decode()
    assert 'href="mailto:help@shop.example"' in page
