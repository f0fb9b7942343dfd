"""Every path of SPEC §5 that the workspace and manager screens serve, for every role.

Roles: anonymous; the owner of the objects; another user; a manager; a content manager
(an ordinary user in the workspace); the owner after being blocked (is_active=False:
Django drops the session, so they are anonymous again).
"""

from urllib.parse import quote

import pytest

from accounts.tests.factories import UserFactory, content_manager, manager
from audience.imports import client_import_create
from audience.models import Segment, Suppression
from audience.tests.factories import MailingListFactory, MembershipFactory, TagFactory
from conftest import fresh
from feedback.services import feedback_record
from mailings.tests.factories import (
    AttemptFactory,
    ClientFactory,
    DeliveryFactory,
    MailingFactory,
    MessageFactory,
)
from senders.tests.factories import DomainFactory, SenderFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "owner", "other", "manager", "content_manager", "blocked"]
LOGIN = 302  # to /accounts/login/?next=<path>


def row(anonymous, owner, other, manager, content_manager, blocked=LOGIN) -> dict:
    return dict(
        zip(ROLES, [anonymous, owner, other, manager, content_manager, blocked], strict=True)
    )


EMAIL_RULE = [{"field": "email", "op": "contains", "value": "@"}]

LIST = row(LOGIN, 200, 200, 200, 200)
OWN_OBJECT = row(LOGIN, 200, 404, 200, 404)
CREATE = row(LOGIN, 200, 200, 403, 200)
CHANGE = row(LOGIN, 200, 404, 403, 404)
MANAGER_ONLY = row(LOGIN, 403, 403, 200, 403)

MATRIX = [
    ("GET", "/clients/", LIST),
    ("GET", "/clients/new/", CREATE),
    ("GET", "/clients/{client}/", OWN_OBJECT),
    ("GET", "/clients/{client}/edit/", CHANGE),
    ("GET", "/clients/{client}/delete/", CHANGE),
    ("POST", "/clients/{client}/edit/", row(LOGIN, 302, 404, 403, 404)),
    ("POST", "/clients/{client}/delete/", row(LOGIN, 302, 404, 403, 404)),
    ("GET", "/clients/import/", CREATE),
    ("POST", "/clients/import/", row(LOGIN, 200, 200, 403, 200)),  # no file: the form again
    ("GET", "/clients/import/{client_import}/", OWN_OBJECT),
    ("GET", "/clients/import/{client_import}/progress/", OWN_OBJECT),
    ("GET", "/clients/import/{client_import}/columns/", CHANGE),
    ("GET", "/clients/export/", LIST),
    ("GET", "/clients/?list={mailing_list}&tag={tag}", LIST),
    # No search or filter: nothing to do, back to the list.
    ("POST", "/clients/bulk/", row(LOGIN, 302, 302, 403, 302)),
    ("GET", "/clients/bulk/", row(405, 405, 405, 405, 405, 405)),
    ("GET", "/lists/", LIST),
    ("GET", "/lists/new/", CREATE),
    ("GET", "/lists/{mailing_list}/", OWN_OBJECT),
    ("GET", "/lists/{mailing_list}/?status=pending&page=2", OWN_OBJECT),
    ("GET", "/lists/{mailing_list}/edit/", CHANGE),
    ("GET", "/lists/{mailing_list}/delete/", CHANGE),
    ("POST", "/lists/new/", row(LOGIN, 200, 200, 403, 200)),  # nothing posted: the form again
    ("POST", "/lists/{mailing_list}/edit/", row(LOGIN, 302, 404, 403, 404)),
    ("POST", "/lists/{spare_list}/delete/", row(LOGIN, 302, 404, 403, 404)),
    ("GET", "/messages/", LIST),
    ("GET", "/messages/new/", CREATE),
    ("GET", "/messages/{message}/", OWN_OBJECT),
    ("GET", "/messages/{message}/edit/", CHANGE),
    ("GET", "/messages/{message}/delete/", CHANGE),
    ("POST", "/messages/{message}/edit/", row(LOGIN, 302, 404, 403, 404)),
    ("POST", "/messages/{spare_message}/delete/", row(LOGIN, 302, 404, 403, 404)),
    ("POST", "/messages/{message}/duplicate/", row(LOGIN, 302, 404, 403, 404)),
    ("GET", "/messages/{message}/duplicate/", row(405, 405, 405, 405, 405, 405)),
    ("GET", "/messages/{message}/preview/", OWN_OBJECT),
    ("GET", "/messages/{message}/preview/?client={client}", OWN_OBJECT),
    ("GET", "/messages/{message}/preview/email/?client={client}", OWN_OBJECT),
    ("POST", "/messages/{message}/test/", row(LOGIN, 302, 404, 403, 404)),
    ("GET", "/messages/{message}/test/", row(405, 405, 405, 405, 405, 405)),
    ("GET", "/mailings/", LIST),
    ("GET", "/mailings/new/", CREATE),
    ("GET", "/mailings/{mailing}/", OWN_OBJECT),
    ("GET", "/mailings/{mailing}/edit/", CHANGE),
    ("GET", "/mailings/{mailing}/delete/", CHANGE),
    ("POST", "/mailings/{mailing}/edit/", row(LOGIN, 302, 404, 403, 404)),
    ("POST", "/mailings/{mailing}/delete/", row(LOGIN, 302, 404, 403, 404)),
    ("POST", "/mailings/{mailing}/duplicate/", row(LOGIN, 302, 404, 403, 404)),
    ("GET", "/mailings/{mailing}/duplicate/", row(405, 405, 405, 405, 405, 405)),
    # The mailing's last run reached people: the owner is asked first (200, a confirm page).
    ("POST", "/mailings/{mailing}/send/", row(LOGIN, 200, 404, 403, 404)),
    ("GET", "/mailings/{mailing}/send/", row(405, 405, 405, 405, 405, 405)),
    ("POST", "/mailings/{mailing}/disable/", row(LOGIN, 302, 404, 302, 404)),
    ("GET", "/mailings/{mailing}/disable/", row(405, 405, 405, 405, 405, 405)),
    ("GET", "/mailings/{mailing}/runs/{attempt}/", OWN_OBJECT),
    ("GET", "/mailings/{mailing}/runs/{attempt}/export/", OWN_OBJECT),
    ("GET", "/clients/search/?q=a", CREATE),
    ("GET", "/mailings/recipients/?all_subscribed=on", CREATE),
    ("GET", "/segments/", LIST),
    ("GET", "/segments/new/", CREATE),
    ("GET", "/segments/count/", CREATE),
    ("GET", "/segments/{segment}/", OWN_OBJECT),
    ("GET", "/segments/{segment}/count/", OWN_OBJECT),
    ("GET", "/segments/{segment}/edit/", CHANGE),
    ("GET", "/segments/{segment}/delete/", CHANGE),
    ("POST", "/segments/{segment}/edit/", row(LOGIN, 302, 404, 403, 404)),
    ("POST", "/segments/{spare_segment}/delete/", row(LOGIN, 302, 404, 403, 404)),
    ("GET", "/senders/", LIST),
    ("GET", "/senders/new/", CREATE),
    ("GET", "/senders/{sender}/", OWN_OBJECT),
    ("GET", "/senders/{sender}/edit/", CHANGE),
    ("GET", "/senders/{sender}/delete/", CHANGE),
    ("POST", "/senders/{sender}/edit/", row(LOGIN, 302, 404, 403, 404)),
    ("POST", "/senders/{sender}/confirm/", row(LOGIN, 302, 404, 403, 404)),
    ("GET", "/senders/{sender}/confirm/", row(405, 405, 405, 405, 405, 405)),
    ("POST", "/senders/{spare_sender}/delete/", row(LOGIN, 302, 404, 403, 404)),
    ("GET", "/brand/", CREATE),
    ("POST", "/brand/", row(LOGIN, 200, 200, 403, 200)),  # nothing posted: the form again
    ("GET", "/domains/", LIST),
    ("GET", "/domains/new/", CREATE),
    ("GET", "/domains/{domain}/", OWN_OBJECT),
    ("GET", "/domains/{domain}/delete/", CHANGE),
    ("POST", "/domains/{domain}/check/", row(LOGIN, 302, 404, 403, 404)),
    ("GET", "/domains/{domain}/check/", row(405, 405, 405, 405, 405, 405)),
    ("POST", "/domains/{spare_domain}/delete/", row(LOGIN, 302, 404, 403, 404)),
    ("POST", "/attempts/{attempt}/resume/", row(LOGIN, 302, 404, 403, 404)),
    ("GET", "/suppressions/", LIST),
    ("POST", "/suppressions/{suppressed}/reactivate/", row(LOGIN, 302, 404, 403, 404)),
    ("GET", "/suppressions/{suppressed}/reactivate/", row(405, 405, 405, 405, 405, 405)),
    ("POST", "/suppressions/import/", row(LOGIN, 200, 200, 403, 200)),  # nothing: the form again
    ("GET", "/suppressions/import/", row(405, 405, 405, 405, 405, 405)),
    ("GET", "/reports/", LIST),
    ("GET", "/reports/export/", LIST),
    ("GET", "/manager/users/", MANAGER_ONLY),
    ("POST", "/manager/users/{target}/block/", row(LOGIN, 403, 403, 302, 403)),
    ("POST", "/manager/users/{target}/unblock/", row(LOGIN, 403, 403, 302, 403)),
    ("GET", "/manager/users/{target}/block/", row(405, 405, 405, 405, 405, 405)),
    ("GET", "/manager/users/{target}/unblock/", row(405, 405, 405, 405, 405, 405)),
]


def bounced_address(owner):
    """A bounced address on the owner's suppression list (its client since deleted)."""
    client = ClientFactory(owner=owner)
    feedback_record(client=client, kind="hard", source="dsn")
    client.delete()
    return Suppression.objects.get(owner=owner)


@pytest.fixture(autouse=True)
def _no_dns(settings):
    # "Check" looks nothing up: a resolver setting it cannot use answers at once.
    settings.DNS_RESOLVER = "no-resolver-in-this-test"


@pytest.fixture
def world(module_world, db):
    return fresh(module_world)


@pytest.fixture(scope="module")
def module_world(module_transaction):
    """Made once for the module's 600 cases (each rolls back what it writes)."""
    owner = UserFactory()
    sender = SenderFactory(owner=owner)
    client = ClientFactory(owner=owner)
    message = MessageFactory(owner=owner)
    mailing = MailingFactory(owner=owner, message=message, clients=[client])
    attempt = AttemptFactory(mailing=mailing)
    DeliveryFactory(attempt=attempt, client=client)
    return {
        "owner": owner,
        "other": UserFactory(),
        "manager": manager(),
        "content_manager": content_manager(),
        "target": UserFactory(),
        "ids": {
            "client": client.pk,
            "message": message.pk,
            "spare_message": MessageFactory(owner=owner).pk,
            "mailing": mailing.pk,
            "attempt": attempt.pk,
            "client_import": client_import_create(owner=owner, data=b"email\na@example.org\n").pk,
            "sender": sender.pk,
            "spare_sender": SenderFactory(owner=owner).pk,
            "domain": DomainFactory(owner=owner).pk,
            "spare_domain": DomainFactory(owner=owner).pk,
            "suppressed": bounced_address(owner).pk,
            "segment": Segment.objects.create(owner=owner, name="S", rules=EMAIL_RULE).pk,
            "spare_segment": Segment.objects.create(owner=owner, name="T", rules=EMAIL_RULE).pk,
            "mailing_list": MembershipFactory(
                mailing_list__owner=owner, client=client
            ).mailing_list_id,
            "spare_list": MailingListFactory(owner=owner).pk,
            "tag": TagFactory(owner=owner).pk,
            "target": None,
        },
        "form": {
            "/clients/": {"email": "changed@example.org", "full_name": "Изменено"},
            "/messages/": {"subject": "Изменено", "body": "Текст"},
            "/senders/": {"name": "Изменено", "email": sender.email},
            "/segments/": {
                "name": "Изменено",
                "match": "any",
                "rules-TOTAL_FORMS": "1",
                "rules-INITIAL_FORMS": "0",
                **{f"rules-0-{key}": value for key, value in EMAIL_RULE[0].items()},
            },
            "/lists/": {"name": "Изменено", "language": "ru"},
            "/mailings/": {
                "message": message.pk,
                "start_at": "2031-01-01T10:00",
                "end_at": "2031-02-01T10:00",
                "periodicity": "weekly",
                "clients": [client.pk],
            },
        },
    }


def sign_in(csrf_client, world, role):
    if role == "anonymous":
        return
    if role == "blocked":
        world["owner"].is_active = False
        world["owner"].save()
        csrf_client.force_login(world["owner"])
        return
    csrf_client.force_login(world[role])


# The edit-test loop (`make test-fast`) tries every path as its owner and as another
# user; the other roles' 400 cases are `slow`, for `make test`.
@pytest.mark.parametrize(
    "role",
    [
        pytest.param(role, marks=[] if role in ("owner", "other") else pytest.mark.slow)
        for role in ROLES
    ],
)
@pytest.mark.parametrize(
    ("method", "template", "expected"), MATRIX, ids=[f"{m} {t}" for m, t, _ in MATRIX]
)
def test_the_permission_matrix(csrf_client, world, role, method, template, expected):
    path = template.format(**{**world["ids"], "target": world["target"].pk})
    sign_in(csrf_client, world, role)
    if method == "GET":
        response = csrf_client.get(path)
    else:
        data = next((v for k, v in world["form"].items() if path.startswith(k)), {})
        if not path.endswith("/edit/"):
            data = {}
        # Any page with a form hands out the CSRF cookie, as a browser would have it.
        form_url = "/accounts/login/" if role in ("anonymous", "blocked") else "/accounts/profile/"
        response = csrf_client.submit(path, data, form_url=form_url)

    assert response.status_code == expected[role], (role, method, path)
    if expected[role] == LOGIN and role in ("anonymous", "blocked"):
        assert response["Location"] == f"/accounts/login/?next={quote(path)}"


def test_a_manager_changes_nothing_by_forged_posts(csrf_client, world):
    csrf_client.force_login(world["manager"])
    ids = world["ids"]
    for path, data in [
        ("/clients/new/", {"email": "sneaky@example.org"}),
        (f"/clients/{ids['client']}/edit/", world["form"]["/clients/"]),
        (f"/messages/{ids['message']}/edit/", world["form"]["/messages/"]),
        (f"/mailings/{ids['mailing']}/edit/", world["form"]["/mailings/"]),
        (f"/clients/{ids['client']}/delete/", {}),
    ]:
        assert csrf_client.submit(path, data, form_url="/clients/").status_code == 403
    from audience.models import Client
    from content.models import Message

    assert not Client.objects.filter(email="sneaky@example.org").exists()
    assert Client.objects.filter(pk=ids["client"]).exists()
    assert Message.objects.get(pk=ids["message"]).subject != "Изменено"


@pytest.mark.parametrize(
    "path", ["/clients/", "/messages/", "/mailings/", "/senders/", "/domains/"]
)
def test_an_empty_list_offers_a_create_button_to_owners_but_not_to_managers(client, path):
    client.force_login(UserFactory())
    assert f'href="{path}new/"' in client.get(path).content.decode()
    client.force_login(manager())
    assert f'href="{path}new/"' not in client.get(path).content.decode()
