"""The webhook pages against generated and hostile form values (the same strategies as
config/tests/test_hostile_input.py): never a 5xx, a refused form says why."""

import pytest
from django.db import transaction
from django.test import Client as Browser
from hypothesis import given
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from config.tests import hostile
from webhooks.models import Endpoint

urls = st.one_of(
    hostile.text,
    st.sampled_from(
        [
            "http://127.0.0.1:1/",
            "https://[::1]:0/",
            "http://0x7f000001/",
            "http://2130706433/",
            "https://example.com:99999/",
            "http://user:pass@10.0.0.1/",
            "https://xn--80ak6aa92e.com/",
            "https://" + "a" * 300 + ".com/",
        ]
    ),
)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "url": urls,
        "description": hostile.text,
        "event_types": st.lists(hostile.choice("run.started", "run.finished"), max_size=3),
    },
)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/webhooks/new/", "/webhooks/{endpoint}/edit/"])
def test_no_input_breaks_the_webhook_forms(path):
    owner = UserFactory()
    endpoint = Endpoint.objects.create(owner=owner, url="https://example.org/", event_types=[])
    roles = {"owner": owner, "other user": UserFactory(), "anonymous": None}

    @given(role=st.sampled_from(list(roles)), data=FIELDS)
    def run(role, data):
        browser = Browser()
        with transaction.atomic():
            if roles[role] is not None:
                browser.force_login(roles[role])
            response = browser.post(path.format(endpoint=endpoint.pk), data)
            assert response.status_code < 500
            if response.status_code == 200:
                assert response.context["form"].errors
            transaction.set_rollback(True)

    run()
