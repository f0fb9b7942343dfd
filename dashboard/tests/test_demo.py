import pytest
from django.core.management import call_command

from accounts.models import User
from audience.models import Client
from content.models import Message
from mailings.models import Mailing
from sending.models import Attempt, Delivery

pytestmark = pytest.mark.django_db

MODELS = [User, Client, Message, Mailing, Attempt, Delivery]


def snapshot() -> dict:
    return {
        "counts": {model.__name__: model.objects.count() for model in MODELS},
        "mailings": sorted(
            Mailing.objects.values_list("pk", "status", "next_run_at", "updated_at")
        ),
        "attempts": sorted(Attempt.objects.values_list("pk", "status", "sent_count")),
    }


@pytest.mark.slow
def test_seed_demo_fills_the_workspace_and_a_second_run_changes_nothing():
    call_command("seed_demo", verbosity=0)
    first = snapshot()
    call_command("seed_demo", verbosity=0)
    assert snapshot() == first

    for login in ("anna", "boris"):
        owner = User.objects.get(email=f"{login}@demo.rassylka.local")
        clients = Client.objects.owned_by(owner)
        assert 25 <= clients.count() <= 40
        assert clients.filter(unsubscribed_at__isnull=False).count() >= 2
        # The suppression page shows them too.
        assert owner.suppressions.count() == clients.filter(status="unsubscribed").count()
        assert all(
            "{{ full_name }}" in body
            for body in Message.objects.owned_by(owner).values_list("body", flat=True)
        )
        statuses = set(Mailing.objects.owned_by(owner).values_list("status", flat=True))
        assert statuses == {"created", "running", "completed", "disabled"}, login

    attempts = Attempt.objects.all()
    assert attempts.filter(status="success").exists()
    assert attempts.filter(status="failure").exists()
    for attempt in attempts:
        deliveries = attempt.deliveries.all()
        assert attempt.sent_count == deliveries.filter(status="sent").count()
        assert attempt.failed_count == deliveries.filter(status="failed").count()
    replies = set(Delivery.objects.values_list("server_response", flat=True))
    assert "451 4.7.1 Try again later" in replies
    assert any(reply.startswith("250 2.0.0 Ok: queued as ") for reply in replies)
    # Unsubscribed clients were never sent to.
    assert not Delivery.objects.filter(client__unsubscribed_at__isnull=False).exists()
    # Managers and editors get no workspace of their own.
    assert not Client.objects.filter(owner__email__startswith="manager@").exists()
