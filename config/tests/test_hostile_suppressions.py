"""Never a 5xx on the suppression list's inputs: its search, the reactivation's reason
(web and API) and the import of a list of addresses (pasted or uploaded), for every
role. A refused import says why beside its form; a NUL byte is never stored."""

import json

import pytest
from django.db import transaction
from django.test import Client as Browser
from hypothesis import given
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory, manager
from api.models import ApiToken
from api.tests.conftest import bearer
from audience.models import Suppression
from audience.status import Reason, client_set_status
from config.tests import hostile
from feedback.services import feedback_record
from mailings.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "owner", "other user", "manager")

EXPORTS = {
    "mailchimp": b'"Email Address","First Name"\n"anna@example.org","Anna"\n',
    "header only": b"email\n",
    "email column missing from a row": b"name,email\nAnna\n",
    "NUL in an address": b"email\nan\x00na@example.org\n",
    "unterminated quote": b'email\n"anna@example.org\n',
    "cell over 128 KB": b'email\n"' + b"x" * 140_000 + b'"\n',
}
upload = st.one_of(
    hostile.csv_files,
    st.sampled_from(sorted(EXPORTS)).map(
        lambda name: hostile.SimpleUploadedFile(f"{name}.csv", EXPORTS[name])
    ),
)
addresses = st.one_of(
    hostile.text,
    st.lists(hostile.emails, max_size=20).map("\n".join),
)


@pytest.fixture
def world():
    owner, stranger = UserFactory(), UserFactory()
    bounced = ClientFactory(owner=owner, email="gone@example.org")
    feedback_record(client=bounced, kind="hard", source="dsn", status_code="5.1.1")
    left = ClientFactory(owner=owner, email="left@example.org")
    client_set_status(client=left, to="unsubscribed", reason=Reason.UNSUBSCRIBE)
    left.delete()
    theirs = ClientFactory(owner=stranger)
    client_set_status(client=theirs, to="unsubscribed", reason=Reason.UNSUBSCRIBE)
    held = Suppression.objects.held()
    return {
        "roles": {"anonymous": None, "owner": owner, "other user": stranger, "manager": manager()},
        "bounced": held.get(email="gone@example.org").pk,
        "left": held.get(email="left@example.org").pk,
        "bounced_client": bounced.pk,
        "token": ApiToken.issue(owner=owner, name="shop")[1],
    }


def as_role(world, role) -> Browser:
    browser = Browser()
    if world["roles"][role] is not None:
        browser.force_login(world["roles"][role])
    return browser


def no_nul_stored() -> None:
    stored = Suppression.objects.values_list("email", "lift_reason")
    assert not any("\x00" in email + reason for email, reason in stored)


def test_the_import_takes_any_paste_or_file_or_says_why(world):
    @given(
        role=st.sampled_from(ROLES),
        pasted=st.one_of(st.none(), addresses),
        file=st.one_of(st.none(), upload),
    )
    def run(role, pasted, file):
        data = {}
        if pasted is not None:
            data["addresses"] = pasted
        if file is not None:
            file.seek(0)
            data["file"] = file
        with transaction.atomic():
            response = as_role(world, role).post("/suppressions/import/", data)
            assert response.status_code < 500
            if response.status_code == 200:
                assert response.context["form"].errors
            no_nul_stored()
            transaction.set_rollback(True)

    run()


def test_the_reactivation_takes_any_reason_or_refuses_it(world):
    @given(
        role=st.sampled_from(ROLES),
        target=st.sampled_from(["bounced", "left", "0", str(2**63), "x"]),
        reason=st.one_of(st.none(), hostile.text),
    )
    def run(role, target, reason):
        pk = world.get(target, target)
        data = {} if reason is None else {"reason": reason}
        with transaction.atomic():
            response = as_role(world, role).post(f"/suppressions/{pk}/reactivate/", data)
            assert response.status_code < 500
            no_nul_stored()
            transaction.set_rollback(True)

    run()


def test_the_page_and_its_search_take_anything(world):
    @given(
        role=st.sampled_from(ROLES),
        params=st.fixed_dictionaries({}, optional={"q": hostile.text, "page": hostile.integers}),
    )
    def run(role, params):
        assert as_role(world, role).get("/suppressions/", params).status_code < 500

    run()


def test_the_apis_reactivation_takes_any_body(world):
    bodies = st.one_of(
        st.fixed_dictionaries({}, optional={"reason": st.one_of(hostile.text, st.integers())}),
        st.lists(st.integers(), max_size=3),
        st.just("not an object"),
    )

    @given(body=bodies)
    def run(body):
        with transaction.atomic():
            response = bearer(world["token"]).post(
                f"/api/v1/suppressions/{world['bounced_client']}/reactivate/",
                json.dumps(body),
                content_type="application/json",
            )
            assert response.status_code in (200, 400), response.status_code
            no_nul_stored()
            transaction.set_rollback(True)

    run()
