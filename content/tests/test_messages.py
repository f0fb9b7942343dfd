import pytest

from content.models import Message
from mailings.tests.factories import MailingFactory, MessageFactory

pytestmark = pytest.mark.django_db


def test_it_writes_a_message(signed_in, owner):
    response = signed_in.submit(
        "/messages/new/",
        {"subject": "Скидки недели", "body": "Здравствуйте, {{ full_name }}!"},
        follow=True,
    )
    message = Message.objects.get()
    assert (message.owner, message.subject) == (owner, "Скидки недели")
    assert response.redirect_chain[-1][0] == f"/messages/{message.pk}/"
    assert "Здравствуйте, {{ full_name }}!" in response.content.decode()


def test_subject_and_body_are_required(signed_in):
    response = signed_in.submit("/messages/new/", {"subject": "", "body": ""})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"subject", "body"}
    assert not Message.objects.exists()


def test_it_edits_the_owners_message(signed_in, owner):
    message = MessageFactory(owner=owner)
    response = signed_in.submit(
        f"/messages/{message.pk}/edit/", {"subject": "Новая тема", "body": "Новый текст"}
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.subject, message.body) == ("Новая тема", "Новый текст")


def test_another_users_message_is_not_found(signed_in):
    message = MessageFactory(subject="Чужое")
    assert signed_in.get(f"/messages/{message.pk}/").status_code == 404
    response = signed_in.submit(
        f"/messages/{message.pk}/edit/",
        {"subject": "Взлом", "body": "x"},
        form_url="/messages/new/",
    )
    assert response.status_code == 404
    message.refresh_from_db()
    assert message.subject == "Чужое"


def test_it_lists_searches_and_sorts_own_messages(signed_in, owner):
    MessageFactory(owner=owner, subject="Акция: весна")
    MessageFactory(owner=owner, subject="Бюллетень")
    MessageFactory(subject="Акция чужая")
    subjects = [m.subject for m in signed_in.get("/messages/?sort=subject").context["object_list"]]
    assert subjects == ["Акция: весна", "Бюллетень"]
    found = signed_in.get("/messages/", {"q": "акция"}).context["object_list"]
    assert [m.subject for m in found] == ["Акция: весна"]


def test_an_unused_message_is_deleted_after_confirmation(signed_in, owner):
    message = MessageFactory(owner=owner)
    assert signed_in.get(f"/messages/{message.pk}/delete/").status_code == 200
    assert signed_in.submit(f"/messages/{message.pk}/delete/").status_code == 302
    assert not Message.objects.filter(pk=message.pk).exists()


def test_a_message_in_use_is_not_deleted_and_the_mailings_are_named(signed_in, owner):
    message = MessageFactory(owner=owner, subject="Нужное письмо")
    first = MailingFactory(owner=owner, message=message)
    second = MailingFactory(owner=owner, message=message)

    page = signed_in.get(f"/messages/{message.pk}/delete/")
    assert list(page.context["blocking_mailings"]) == [first, second]
    assert f"/mailings/{first.pk}/" in page.content.decode()

    # A forged POST straight to the endpoint meets the database's PROTECT.
    response = signed_in.submit(f"/messages/{message.pk}/delete/")
    assert response.status_code == 200
    assert Message.objects.filter(pk=message.pk).exists()
    body = response.content.decode()
    assert f"/mailings/{second.pk}/" in body
    assert any(m.level_tag == "error" for m in response.context["messages"])
