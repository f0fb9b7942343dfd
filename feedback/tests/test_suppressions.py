"""/suppressions/: the owner's suppressed addresses with the reason, the date and the
server's text, and reactivating one with a reason; the client pages say why. (The list
by address itself: audience/tests/test_suppression_list.py.)"""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.tests.factories import manager
from audience.models import Client, Suppression
from audience.status import Reason, client_set_status
from feedback.models import FeedbackEvent
from feedback.services import feedback_record
from mailings.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def reactivate_url(client) -> str:
    suppression = Suppression.objects.held().get(owner=client.owner, email=client.email)
    return f"/suppressions/{suppression.pk}/reactivate/"


def bounce(client, kind="hard", reply="550 5.1.1 User unknown", days_ago=0):
    return feedback_record(
        client=client,
        kind=kind,
        source=FeedbackEvent.Source.SMTP,
        status_code="5.1.1" if kind == "hard" else "",
        server_response=reply,
        now=timezone.now() - dt.timedelta(days=days_ago),
    )


def test_it_lists_the_owners_suppressed_clients_with_reason_date_and_reply(signed_in, owner):
    gone = ClientFactory(owner=owner, email="gone@example.org")
    bounce(gone)
    angry = ClientFactory(owner=owner, email="angry@example.org")
    feedback_record(client=angry, kind="complaint", source="arf", server_response="abuse")
    ClientFactory(owner=owner, email="fine@example.org")
    ClientFactory(owner=owner, email="left@example.org", unsubscribed_at=timezone.now())
    stranger = ClientFactory(email="strangers@example.org")
    bounce(stranger)

    page = signed_in.get("/suppressions/")
    assert page.status_code == 200
    assert [c.email for c in page.context["object_list"]] == [
        "angry@example.org",
        "gone@example.org",
    ]
    text = page.content.decode()
    assert "550 5.1.1 User unknown" in text and "<code>5.1.1</code>" in text
    assert "strangers@example.org" not in text and "fine@example.org" not in text
    row = page.context["object_list"][1]
    assert row.event_kind == "hard" and row.suppressed_at is not None


def test_reactivating_makes_the_client_active_and_forgets_its_bounces(signed_in, owner, settings):
    settings.BOUNCE_SOFT_LIMIT = 3
    client = ClientFactory(owner=owner, email="back@example.org")
    for days_ago in (3, 2, 1):
        bounce(client, kind="soft", reply="452 4.2.2 Mailbox full", days_ago=days_ago)
    client.refresh_from_db()
    assert client.status == Client.Status.BOUNCED

    response = signed_in.submit(
        reactivate_url(client), {"reason": "the mailbox works again"}, form_url="/suppressions/"
    )
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.status == Client.Status.ACTIVE
    lifted = Suppression.objects.get(email="back@example.org")
    assert (lifted.lifted_by, lifted.lift_reason) == ("owner", "the mailbox works again")
    # The soft bounces before the reactivation no longer count towards the limit.
    bounce(client, kind="soft", reply="452 4.2.2 Mailbox full")
    client.refresh_from_db()
    assert client.status == Client.Status.ACTIVE
    page = signed_in.get("/suppressions/")
    assert "back@example.org" in page.content.decode()  # the message saying so
    assert list(page.context["object_list"]) == []


def test_a_complained_client_reactivated_is_subscribed_again(signed_in, owner):
    client = ClientFactory(owner=owner)
    feedback_record(client=client, kind="complaint", source="arf")
    signed_in.submit(reactivate_url(client), {"reason": "asked us"}, form_url="/suppressions/")
    client.refresh_from_db()
    assert (client.status, client.unsubscribed_at) == (Client.Status.ACTIVE, None)


def test_an_unsubscribed_address_is_not_the_owners_to_reactivate(signed_in, owner):
    left = ClientFactory(owner=owner)
    client_set_status(client=left, to="unsubscribed", reason=Reason.UNSUBSCRIBE)
    response = signed_in.submit(
        reactivate_url(left), {"reason": "I want to"}, form_url="/suppressions/"
    )
    assert response.status_code == 302
    left.refresh_from_db()
    assert left.status == Client.Status.UNSUBSCRIBED  # only the recipient may undo that
    assert Suppression.objects.held().filter(email=left.email).exists()
    (said,) = signed_in.get("/suppressions/").context["messages"]
    assert said.level_tag == "error"


def test_a_reactivation_without_a_reason_changes_nothing(signed_in, owner):
    client = ClientFactory(owner=owner)
    bounce(client)
    signed_in.submit(reactivate_url(client), {"reason": "  "}, form_url="/suppressions/")
    client.refresh_from_db()
    assert client.status == Client.Status.BOUNCED
    assert Suppression.objects.held().filter(email=client.email).exists()


def test_another_users_client_is_404_and_a_manager_reads_only(csrf_client):
    client = ClientFactory()
    bounce(client)
    csrf_client.force_login(manager())
    assert client.email in csrf_client.get("/suppressions/").content.decode()
    response = csrf_client.submit(
        reactivate_url(client), {"reason": "x"}, form_url="/suppressions/"
    )
    assert response.status_code == 403
    client.refresh_from_db()
    assert client.status == Client.Status.BOUNCED


def test_the_client_pages_say_bounced_and_link_to_suppressions(signed_in, owner):
    client = ClientFactory(owner=owner, email="gone@example.org")
    bounce(client)
    detail = signed_in.get(f"/clients/{client.pk}/").content.decode()
    assert "/suppressions/" in detail
    listing = signed_in.get("/clients/").content.decode()
    assert "badge text-bg-danger" in listing
