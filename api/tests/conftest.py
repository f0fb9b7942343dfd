import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory, manager
from api.models import ApiToken
from audience.models import Segment
from audience.tests.factories import MembershipFactory, TagFactory
from feedback.services import feedback_record
from mailings.tests.factories import ClientFactory, DeliveryFactory, MailingFactory


def bearer(text: str | None) -> APIClient:
    api = APIClient()
    if text:
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
    return api


@pytest.fixture
def world(db):
    return world_build()


def world_build() -> dict:
    """An owner with one of everything (and a bounced client; the client on a list, tagged,
    and a segment of that tag), a stranger with the same, a manager; a token each."""
    owner, stranger = UserFactory(time_zone="UTC"), UserFactory()
    rows = {}
    for prefix, user in (("", owner), ("stranger_", stranger)):
        client = ClientFactory(owner=user)
        mailing = MailingFactory(owner=user, clients=[client])
        delivery = DeliveryFactory(attempt__mailing=mailing, client=client, status="failed")
        bounced = ClientFactory(owner=user)
        feedback_record(client=bounced, kind="hard", source="dsn", status_code="5.1.1")
        mailing_list = MembershipFactory(client=client, mailing_list__owner=user).mailing_list
        tag = TagFactory(owner=user)
        tag.clients.add(client)
        segment = Segment.objects.create(
            owner=user, name="VIP", rules=[{"field": "tag", "op": "has", "value": tag.name}]
        )
        rows |= {
            f"{prefix}client": client.pk,
            f"{prefix}message": mailing.message_id,
            f"{prefix}mailing": mailing.pk,
            f"{prefix}attempt": delivery.attempt_id,
            f"{prefix}suppression": bounced.pk,
            f"{prefix}list": mailing_list.pk,
            f"{prefix}tag": tag.pk,
            f"{prefix}segment": segment.pk,
        }
    overseer = manager()
    return {
        **rows,
        "owner": owner,
        "stranger": stranger,
        "tokens": {
            "owner": ApiToken.issue(owner=owner, name="shop")[1],
            "other user": ApiToken.issue(owner=stranger, name="crm")[1],
            "manager": ApiToken.issue(owner=overseer, name="audit")[1],
            "read-only": ApiToken.issue(owner=owner, name="report", read_only=True)[1],
            "anonymous": None,
        },
    }


@pytest.fixture
def owner_api(world):
    return bearer(world["tokens"]["owner"])
