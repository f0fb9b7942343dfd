"""Nobody sees a button they may not use: every link and form on the pages a role
visits leads somewhere that role may go (no 403, no 404)."""

from html.parser import HTMLParser

import pytest

from accounts.tests.factories import UserFactory, content_manager, manager
from audience.imports import client_import_create
from mailings.models import Mailing
from mailings.tests.factories import (
    AttemptFactory,
    ClientFactory,
    DeliveryFactory,
    MailingFactory,
    MessageFactory,
)

pytestmark = pytest.mark.django_db

SKIPPED = ("/accounts/logout/", "/i18n/", "/static/", "/media/", "#")


class Controls(HTMLParser):
    """Links and POST forms inside <main>."""

    def __init__(self):
        super().__init__()
        self.depth, self.links, self.posts = 0, set(), set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "main":
            self.depth += 1
        elif self.depth and tag == "a" and (attrs.get("href") or "").startswith("/"):
            self.links.add(attrs["href"])
        elif self.depth and tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.posts.add(attrs.get("action") or "")

    def handle_endtag(self, tag):
        if tag == "main":
            self.depth -= 1


@pytest.fixture
def world():
    owner = UserFactory()
    client = ClientFactory(owner=owner)
    message = MessageFactory(owner=owner)
    mailing = MailingFactory(
        owner=owner, message=message, clients=[client], status=Mailing.Status.RUNNING
    )
    done = MailingFactory(
        owner=owner, message=message, clients=[client], status=Mailing.Status.COMPLETED
    )
    attempt = AttemptFactory(mailing=done, status="failure", sent_count=0, failed_count=1)
    DeliveryFactory(attempt=attempt, client=client, status="failed")
    job = client_import_create(owner=owner, data=b"email\na@example.org\n")
    return {
        "owner": owner,
        "pages": [
            "/",
            "/clients/",
            f"/clients/{client.pk}/",
            "/clients/import/",
            f"/clients/import/{job.pk}/",
            "/messages/",
            f"/messages/{message.pk}/",
            "/mailings/",
            f"/mailings/{mailing.pk}/",
            f"/mailings/{done.pk}/",
            f"/mailings/{done.pk}/runs/{attempt.pk}/",
            "/reports/",
        ],
    }


@pytest.mark.parametrize("role", ["owner", "manager", "content_manager"])
def test_every_control_on_a_page_is_one_the_viewer_may_use(csrf_client, world, role):
    user = {"owner": world["owner"], "manager": manager(), "content_manager": content_manager()}[
        role
    ]
    csrf_client.force_login(user)
    links, posts = set(), set()
    for page in world["pages"]:
        response = csrf_client.get(page)
        if response.status_code != 200:
            continue  # a page this role does not see (the matrix covers which)
        controls = Controls()
        controls.feed(response.content.decode())
        links |= {link for link in controls.links if not link.startswith(SKIPPED)}
        posts |= {(action or page) for action in controls.posts}
    assert links and (posts or role != "owner")
    for link in sorted(links):
        assert csrf_client.get(link).status_code < 400, (role, link)
    for action in sorted(posts):
        response = csrf_client.submit(action, form_url="/accounts/profile/")
        assert response.status_code not in (403, 404, 405), (role, action)
