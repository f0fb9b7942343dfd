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


def test_a_client_added_in_the_admin_keeps_its_addresss_suppression(client):
    """Found in review: the admin added clients past the suppression list."""
    from audience.models import Client, Suppression
    from audience.suppressions import suppression_record
    from mailings.tests.factories import ClientFactory

    client.force_login(User.objects.create_superuser(email="root@example.com", password="x"))
    gone = ClientFactory(email="gone@example.org", status=Client.Status.COMPLAINED)
    suppression_record(client=gone, status=Client.Status.COMPLAINED)
    owner = gone.owner
    gone.delete()
    response = client.post(
        "/admin/audience/client/add/",
        {
            "owner": owner.pk,
            "email": "Gone@example.org",
            "full_name": "",
            "comment": "",
            "attributes": "{}",
        },
    )
    assert response.status_code == 302
    assert Client.objects.get(owner=owner).status == Client.Status.COMPLAINED
    # The list itself is read-only there: lifted on the owner's page, with a reason.
    held = Suppression.objects.get(owner=owner)
    assert client.get("/admin/audience/suppression/add/").status_code == 403
    assert (
        client.post(f"/admin/audience/suppression/{held.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Suppression.objects.held().filter(pk=held.pk).exists()
