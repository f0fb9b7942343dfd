"""The preview shows a message exactly as one client gets it, from the engine's own
Renderer, in frames that can run nothing; the test send queues one copy to oneself."""

import email
import email.policy

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.factories import UserFactory
from conftest import clear_cache
from content.models import Message
from mailings.lifecycle import mailing_schedule
from mailings.tests.factories import ClientFactory, DueMailingFactory, MessageFactory
from senders.tests.factories import SenderFactory
from sending.mail_queue import queued_emails_send
from sending.models import Attempt, QueuedEmail
from sending.services import TEST_SENDS_PER_MINUTE

pytestmark = pytest.mark.django_db

RICH = (
    "# Привет, {{ full_name }}\n\n"
    "Ваш адрес: {{ email }}.\n\n"
    "- раз\n- два\n\n"
    "[Купить](https://shop.example.com/sale){.button}\n\n"
    '<script>alert(1)</script><a href="javascript:alert(2)" onclick="x()">ссылка</a>'
)


@pytest.fixture
def rich(owner):
    return MessageFactory(owner=owner, subject="Для {{ full_name }}", body=RICH, format="markdown")


def test_it_shows_the_email_as_the_client_gets_it(signed_in, owner, rich):
    client = ClientFactory(owner=owner, full_name="Ада <Лавлейс>", email="ada@example.org")
    response = signed_in.get(f"/messages/{rich.pk}/preview/?client={client.pk}")
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.subject == "Для Ада <Лавлейс>"
    assert preview.to == "ada@example.org"
    assert "Привет, Ада <Лавлейс>" in preview.text
    assert "- раз" in preview.text and "(https://shop.example.com/sale)" in preview.text
    # The name is escaped in the HTML part; what the user wrote is sanitised.
    assert "Привет, Ада &lt;Лавлейс&gt;" in preview.html
    assert 'class="button"' in preview.html
    for hostile in ("<script", "javascript:", "onclick"):
        assert hostile not in preview.html
    # The frames load the HTML from a URL of its own, sandboxed without scripts.
    page = response.content.decode()
    assert page.count('sandbox=""') == 2
    assert f'/messages/{rich.pk}/preview/email/?client={client.pk}"' in page


def test_the_framed_email_may_run_nothing(signed_in, owner, rich):
    client = ClientFactory(owner=owner)
    response = signed_in.get(f"/messages/{rich.pk}/preview/email/?client={client.pk}")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src" not in policy
    assert "sandbox" in policy and "frame-ancestors 'self'" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert client.full_name in response.content.decode()


def test_it_renders_what_the_engine_sends(signed_in, owner, rich, outbox_dir):
    """The preview and the sent email come from one code path: same parts (untracked:
    a preview keeps the message's own links, tracking/tests has the tracked send)."""
    from sending.passes import run_pass

    client = ClientFactory(owner=owner)
    mailing = DueMailingFactory(owner=owner, message=rich, clients=[client], tracking="off")
    mailing_schedule(mailing=mailing)
    preview = signed_in.get(f"/messages/{rich.pk}/preview/?client={client.pk}").context["preview"]
    run_pass()
    (path,) = outbox_dir.glob("*.eml")
    sent = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert sent["Subject"] == preview.subject
    # One difference: the client's own unsubscribe link is in their email alone.
    own_link = sent["List-Unsubscribe"].strip("<>")
    sample_link = "http://127.0.0.1:8000/unsubscribe/sample/"
    assert own_link not in preview.html + preview.text
    assert sent.get_body(("html",)).get_content().replace(own_link, sample_link) == preview.html
    assert sent.get_body(("plain",)).get_content().replace(own_link, sample_link) == preview.text


def test_without_a_client_it_uses_a_sample_recipient(signed_in, rich):
    preview = signed_in.get(f"/messages/{rich.pk}/preview/").context["preview"]
    assert preview.to == "recipient@example.com"
    assert "{{" not in preview.subject + preview.text + preview.html


@pytest.mark.parametrize("value", ["0", "abc", "9" * 30, "-1"])
def test_a_client_that_is_not_there_is_404(signed_in, rich, value):
    assert signed_in.get(f"/messages/{rich.pk}/preview/?client={value}").status_code == 404


def test_another_users_client_is_404(signed_in, rich):
    stranger_client = ClientFactory(owner=UserFactory())
    for path in ("preview", "preview/email"):
        url = f"/messages/{rich.pk}/{path}/?client={stranger_client.pk}"
        assert signed_in.get(url).status_code == 404


def test_a_test_send_is_queued_not_sent_and_not_a_run(signed_in, owner, rich, smtp_server):
    response = signed_in.submit(
        f"/messages/{rich.pk}/test/", {"to": owner.email}, form_url="/messages/"
    )
    assert response.status_code == 302
    queued = QueuedEmail.objects.get()
    assert queued.recipient == owner.email and queued.status == "pending"
    assert not smtp_server.handler.parsed()  # nothing left in the request
    assert not Attempt.objects.exists()
    assert queued_emails_send() == 1
    ((_rcpt, data),) = smtp_server.handler.messages
    received = email.message_from_bytes(data, policy=email.policy.default)
    assert received["To"] == owner.email
    assert received["Subject"].startswith("[Тест] Для ")
    assert 'class="button"' in received.get_body(("html",)).get_content()


def test_a_test_goes_only_to_ones_own_addresses(signed_in, owner, rich):
    sender = SenderFactory(owner=owner)
    sender.confirmed_at = sender.created_at
    sender.save()
    assert signed_in.submit(
        f"/messages/{rich.pk}/test/", {"to": "else@example.net"}, form_url="/messages/"
    )
    assert signed_in.submit(
        f"/messages/{rich.pk}/test/", {"to": sender.email}, form_url="/messages/"
    )
    assert list(QueuedEmail.objects.values_list("recipient", flat=True)) == [sender.email]


def test_test_sends_are_limited_to_a_few_a_minute(signed_in, owner, rich):
    clear_cache()
    # One minute's window on a clock that stands still: on a ticking one the sends could
    # straddle two windows and each get its own five.
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(TEST_SENDS_PER_MINUTE + 2):
            signed_in.submit(
                f"/messages/{rich.pk}/test/", {"to": owner.email}, form_url="/messages/"
            )
    assert QueuedEmail.objects.count() == TEST_SENDS_PER_MINUTE
    page = signed_in.get(f"/messages/{rich.pk}/preview/")
    assert page.status_code == 200


def test_a_rich_message_is_written_through_the_form(signed_in):
    response = signed_in.submit(
        "/messages/new/", {"subject": "Новости", "format": "markdown", "body": RICH}
    )
    assert response.status_code == 302
    assert Message.objects.get().format == "markdown"


def test_a_huge_paste_is_refused_beside_the_field(signed_in):
    response = signed_in.submit(
        "/messages/new/", {"subject": "Большое", "format": "html", "body": "x" * 200_001}
    )
    assert response.status_code == 200
    assert "body" in response.context["form"].errors
    assert not Message.objects.exists()


def test_the_previews_unsubscribe_link_is_a_sample_that_changes_nothing(signed_in, owner, rich):
    """The issue's finding: a preview handed out the client's real, CSRF-exempt link."""
    from django.test import Client as HttpClient

    client = ClientFactory(owner=owner)
    preview = signed_in.get(f"/messages/{rich.pk}/preview/?client={client.pk}").context["preview"]
    assert "/unsubscribe/sample/" in preview.html
    anybody = HttpClient(enforce_csrf_checks=True)
    page = anybody.get("/unsubscribe/sample/")
    assert page.status_code == 200
    assert 'id="unsubscribe-sample"' in page.content.decode()
    assert anybody.post(
        "/unsubscribe/sample/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    ).status_code in (403, 405)
    client.refresh_from_db()
    assert client.status == client.Status.ACTIVE
