"""The first-week guide on the home page: each step ticks itself from the user's own
rows (a usable sender, a client, a message, a test copy queued, a run) and leads to the
page that does it; a mailing ends the guide."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import manager
from conftest import clear_cache
from dashboard.onboarding import onboarding_checklist
from mailings.tests.factories import ClientFactory, MailingFactory, MessageFactory
from senders.tests.factories import SenderFactory
from sending.models import QueuedEmail

pytestmark = pytest.mark.django_db


def ticks(owner) -> list[bool]:
    return [step.done for step in onboarding_checklist(owner).steps]


def test_a_new_user_is_shown_five_steps_each_leading_to_its_page(signed_in, owner):
    page = signed_in.get("/").content.decode()
    guide = page.split('id="onboarding"')[1].split("</section>")[0]
    assert "Первая рассылка за пять шагов" in guide and "Готово 0 из 5" in guide
    for url in ("/senders/new/", "/clients/import/", "/messages/new/", "/mailings/new/"):
        assert f'href="{url}"' in guide
    assert ticks(owner) == [False] * 5


def test_each_step_ticks_itself_from_the_users_rows(signed_in, owner, settings):
    settings.EMAIL_BACKEND = "sending.mail_queue.QueuedEmailBackend"
    waiting = SenderFactory(owner=owner)
    (sender_step, *_rest) = onboarding_checklist(owner).steps
    assert not sender_step.done and sender_step.waiting and sender_step.url == "/senders/"
    waiting.confirmed_at = timezone.now()
    waiting.save()
    assert ticks(owner) == [True, False, False, False, False]

    ClientFactory(owner=owner)
    ClientFactory()  # someone else's rows tick nothing
    MessageFactory()
    assert ticks(owner) == [True, True, False, False, False]

    message = MessageFactory(owner=owner)
    assert ticks(owner) == [True, True, True, False, False]
    test_step = onboarding_checklist(owner).steps[3]
    assert test_step.url == f"/messages/{message.pk}/preview/"

    # Account mail to the same address (a password reset) is not a test copy.
    signed_in.submit("/accounts/password/reset/", {"email": owner.email})
    assert len(mail.outbox) == 0  # queued, not sent in the request
    assert QueuedEmail.objects.filter(recipient=owner.email).exists()
    assert ticks(owner)[3] is False
    signed_in.submit(f"/messages/{message.pk}/test/", {"to": owner.email}, form_url="/messages/")
    assert ticks(owner) == [True, True, True, True, False]
    assert "Готово 4 из 5" in signed_in.get("/").content.decode()


def test_a_first_mailing_ends_the_guide_for_good(signed_in, owner):
    assert 'id="onboarding"' in signed_in.get("/").content.decode()
    mailing = MailingFactory(owner=owner)  # scheduled: the last step is taken
    assert onboarding_checklist(owner) is None
    assert 'id="onboarding"' not in signed_in.get("/").content.decode()
    mailing.delete()
    assert onboarding_checklist(owner) is None


def test_an_account_from_before_the_guide_is_past_it(owner):
    MailingFactory(owner=owner)
    clear_cache()  # as if the mailing came before the guide (or the cache lost the key)
    with CaptureQueriesContext(connection) as first:
        assert onboarding_checklist(owner) is None
    with CaptureQueriesContext(connection) as second:
        assert onboarding_checklist(owner) is None
    assert len(first) == 1 and len(second) == 0


def test_managers_and_visitors_get_no_guide(client):
    assert 'id="onboarding"' not in client.get("/").content.decode()
    client.force_login(manager())
    assert 'id="onboarding"' not in client.get("/").content.decode()
