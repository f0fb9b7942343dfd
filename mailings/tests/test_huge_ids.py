"""Ids beyond any id column, as the CI profile of the hostile-input suite found them: a
query parameter or a form choice of 19 or 200,000 digits is "no such row", never a 500
(SQLite's OverflowError, Python's 4,300-digit limit on int())."""

import pytest

from accounts.tests.factories import manager
from audience.models import Client
from audience.tests.factories import MailingListFactory
from mailings.tests.factories import MailingFactory, MessageFactory

pytestmark = pytest.mark.django_db

TOO_BIG = "9223372036854775808"  # one past PostgreSQL's and SQLite's largest integer
ENORMOUS = "1" * 200_000


@pytest.mark.parametrize("value", [TOO_BIG, ENORMOUS])
def test_a_list_beyond_any_id_is_a_form_error_on_the_client_form(signed_in, owner, value):
    MailingListFactory(owner=owner)
    response = signed_in.submit("/clients/new/", {"email": "new@example.org", "lists": [value]})
    assert response.status_code == 200
    assert "lists" in response.context["form"].errors
    assert not Client.objects.exists()


@pytest.mark.parametrize("value", [TOO_BIG, ENORMOUS, "-1", "١٢"])
def test_a_manager_filtering_mailings_by_an_impossible_owner_sees_them_all(csrf_client, value):
    MailingFactory()
    csrf_client.force_login(manager())
    response = csrf_client.get("/mailings/", {"owner": value})
    assert response.status_code == 200
    assert len(response.context["object_list"]) == 1


@pytest.mark.parametrize("value", [TOO_BIG, ENORMOUS])
def test_a_preview_for_an_impossible_client_is_not_found(signed_in, owner, value):
    message = MessageFactory(owner=owner)
    response = signed_in.get(f"/messages/{message.pk}/preview/", {"client": value})
    assert response.status_code == 404
