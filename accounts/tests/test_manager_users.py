import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory, content_manager, manager
from mailings.tests.factories import ClientFactory, MailingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(csrf_client):
    user = manager()
    csrf_client.force_login(user)
    return user


def test_it_lists_every_user_with_their_counts(csrf_client, boss):
    busy = UserFactory(email="busy@example.com")
    ClientFactory.create_batch(3, owner=busy)
    MailingFactory.create_batch(2, owner=busy)
    idle = UserFactory(email="idle@example.com")
    response = csrf_client.get("/manager/users/")
    assert response.status_code == 200
    counts = {u.email: (u.client_count, u.mailing_count) for u in response.context["users"]}
    assert counts[busy.email] == (3, 2)
    assert counts[idle.email] == (0, 0)
    assert boss.email in counts
    body = response.content.decode()
    assert f"/manager/users/{busy.pk}/block/" in body
    # A manager is offered no button against themselves.
    assert f"/manager/users/{boss.pk}/block/" not in body


def test_it_searches_and_filters_blocked_users(csrf_client, boss):
    UserFactory(email="anna@example.com")
    # Named: a random first name (Hannah, Joanna) would match the search too.
    UserFactory(email="boris@example.com", first_name="Boris", is_active=False)
    found = csrf_client.get("/manager/users/", {"q": "ANNA"}).context["users"]
    assert [u.email for u in found] == ["anna@example.com"]
    blocked = csrf_client.get("/manager/users/", {"state": "blocked"}).context["users"]
    assert [u.email for u in blocked] == ["boris@example.com"]


def test_blocking_ends_the_users_session_and_unblocking_restores_access(csrf_client, boss):
    from django.test import Client

    target = UserFactory()
    their_browser = Client()
    their_browser.force_login(target)
    assert their_browser.get("/clients/").status_code == 200

    response = csrf_client.submit(f"/manager/users/{target.pk}/block/", form_url="/manager/users/")
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.is_active
    assert their_browser.get("/clients/").status_code == 302

    csrf_client.submit(f"/manager/users/{target.pk}/unblock/", form_url="/manager/users/")
    target.refresh_from_db()
    assert target.is_active


def test_a_manager_cannot_block_themselves_or_a_superuser(csrf_client, boss):
    root = User.objects.create_superuser(email="root@example.com", password="x")
    for user in (boss, root):
        response = csrf_client.submit(
            f"/manager/users/{user.pk}/block/", form_url="/manager/users/", follow=True
        )
        assert any(m.level_tag == "error" for m in response.context["messages"])
        user.refresh_from_db()
        assert user.is_active


def test_it_goes_back_to_the_same_list_but_never_elsewhere(csrf_client, boss):
    target = UserFactory()
    response = csrf_client.submit(
        f"/manager/users/{target.pk}/block/",
        {"next": "/manager/users/?state=active&page=1"},
        form_url="/manager/users/",
    )
    assert response["Location"] == "/manager/users/?state=active&page=1"
    response = csrf_client.submit(
        f"/manager/users/{target.pk}/unblock/",
        {"next": "https://evil.example.net/"},
        form_url="/manager/users/",
    )
    assert response["Location"] == "/manager/users/"


def test_the_manager_sees_all_mailings_with_their_owners(csrf_client, boss):
    anna, boris = UserFactory(email="anna@example.com"), UserFactory(email="boris@example.com")
    first, second = MailingFactory(owner=anna), MailingFactory(owner=boris)
    response = csrf_client.get("/mailings/")
    assert set(response.context["object_list"]) == {first, second}
    body = response.content.decode()
    assert "anna@example.com" in body and "boris@example.com" in body
    assert "/mailings/new/" not in body
    only_anna = csrf_client.get("/mailings/", {"owner": anna.pk}).context["object_list"]
    assert list(only_anna) == [first]
    detail = csrf_client.get(f"/mailings/{first.pk}/").content.decode()
    assert f"/mailings/{first.pk}/disable/" in detail
    assert f"/mailings/{first.pk}/edit/" not in detail


def test_the_manager_disables_anyones_mailing(csrf_client, boss):
    mailing = MailingFactory()
    response = csrf_client.submit(f"/mailings/{mailing.pk}/disable/", form_url="/mailings/")
    assert response.status_code == 302
    mailing.refresh_from_db()
    assert mailing.status == "disabled"


def test_the_rights_come_from_permissions_not_group_names(csrf_client):
    from django.contrib.auth.models import Permission

    # Someone given just the permission (no group) is a manager for these screens.
    deputy = UserFactory()
    deputy.user_permissions.add(Permission.objects.get(codename="block_user"))
    csrf_client.force_login(deputy)
    assert csrf_client.get("/manager/users/").status_code == 200
    # A content manager is not.
    csrf_client.force_login(content_manager())
    assert csrf_client.get("/manager/users/").status_code == 403


def test_a_manager_cannot_block_or_unblock_another_manager(csrf_client, boss):
    colleague, blocked_colleague = manager(), manager(is_active=False)
    body = csrf_client.get("/manager/users/").content.decode()
    for other in (colleague, blocked_colleague):
        assert f"/manager/users/{other.pk}/" not in body
    for action, other in (("block", colleague), ("unblock", blocked_colleague)):
        response = csrf_client.submit(
            f"/manager/users/{other.pk}/{action}/", form_url="/manager/users/"
        )
        assert response.status_code == 403
    colleague.refresh_from_db()
    blocked_colleague.refresh_from_db()
    assert colleague.is_active and not blocked_colleague.is_active


def test_a_superuser_blocks_and_unblocks_a_manager(csrf_client):
    root = User.objects.create_superuser(email="root@example.com", password="x")
    csrf_client.force_login(root)
    colleague = manager()
    assert (
        f"/manager/users/{colleague.pk}/block/"
        in csrf_client.get("/manager/users/").content.decode()
    )
    csrf_client.submit(f"/manager/users/{colleague.pk}/block/", form_url="/manager/users/")
    colleague.refresh_from_db()
    assert not colleague.is_active
    csrf_client.submit(f"/manager/users/{colleague.pk}/unblock/", form_url="/manager/users/")
    colleague.refresh_from_db()
    assert colleague.is_active


def test_a_block_carries_its_reason_to_the_user(csrf_client, boss, settings):
    from django.test import Client

    from accounts.tests.factories import PASSWORD

    settings.SUPPORT_EMAIL = "help@shop.example"
    target = UserFactory(email="spammy@example.com")
    csrf_client.submit(
        f"/manager/users/{target.pk}/block/",
        {"reason": "  Жалобы на спам от получателей  "},
        form_url="/manager/users/",
    )
    target.refresh_from_db()
    assert (target.is_active, target.blocked_reason) == (False, "Жалобы на спам от получателей")
    assert "Жалобы на спам от получателей" in csrf_client.get("/manager/users/").content.decode()

    visitor = Client()
    response = visitor.post(
        "/accounts/login/", {"login": target.email, "password": PASSWORD}, follow=True
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/accounts/inactive/"
    assert "Жалобы на спам от получателей" in page
    assert 'href="mailto:help@shop.example"' in page
    # Without the password, the reason is not told.
    stranger = Client()
    stranger.post("/accounts/login/", {"login": target.email, "password": "wrong"})
    assert "Жалобы" not in stranger.get("/accounts/inactive/").content.decode()

    csrf_client.submit(f"/manager/users/{target.pk}/unblock/", form_url="/manager/users/")
    target.refresh_from_db()
    assert (target.is_active, target.blocked_reason) == (True, "")


def test_an_overlong_reason_is_refused_with_a_message(csrf_client, boss):
    target = UserFactory()
    response = csrf_client.submit(
        f"/manager/users/{target.pk}/block/",
        {"reason": "x" * 501},
        form_url="/manager/users/",
        follow=True,
    )
    assert response.status_code == 200
    target.refresh_from_db()
    assert target.is_active
    assert "500" in response.content.decode()
