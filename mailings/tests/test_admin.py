import pytest

from accounts.models import User
from mailings.tests.factories import DeliveryFactory

pytestmark = pytest.mark.django_db


def test_the_admin_lists_and_opens_every_workspace_model(client):
    client.force_login(User.objects.create_superuser(email="root@example.com", password="x"))
    delivery = DeliveryFactory()
    attempt = delivery.attempt
    mailing = attempt.mailing
    objects = {
        "client": delivery.client,
        "message": mailing.message,
        "mailing": mailing,
        "attempt": attempt,
        "delivery": delivery,
    }
    for model, obj in objects.items():
        # Attempt and Delivery are the sending engine's: their pages are under sending/.
        base = f"/admin/{obj._meta.app_label}/{model}"
        assert client.get(f"{base}/").status_code == 200, model
        assert client.get(f"{base}/?q=example").status_code == 200, model
        assert client.get(f"{base}/{obj.pk}/change/").status_code == 200, model
