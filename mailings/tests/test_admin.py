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
        assert client.get(f"/admin/mailings/{model}/").status_code == 200, model
        assert client.get(f"/admin/mailings/{model}/?q=example").status_code == 200, model
        assert client.get(f"/admin/mailings/{model}/{obj.pk}/change/").status_code == 200, model
