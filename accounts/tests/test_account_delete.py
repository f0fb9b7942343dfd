"""Deleting one's own account takes every object it owns, in one transaction."""

import pytest
from allauth.account.models import EmailAddress, EmailConfirmation
from django.db.models.signals import pre_delete

from accounts.models import User
from accounts.services import user_delete
from accounts.tests.factories import PASSWORD, UserFactory
from audience.models import Client
from blog.models import Post
from blog.tests.factories import PostFactory
from content.models import Message
from mailings.models import Mailing
from mailings.tests.factories import ClientFactory, DeliveryFactory, MailingFactory
from sending.models import Attempt, Delivery, QueuedEmail

pytestmark = pytest.mark.django_db(transaction=True)


def account_with_everything() -> User:
    """A user with one of each kind of object an account can come to hold."""
    user = UserFactory()
    EmailConfirmation.create(EmailAddress.objects.get(user=user))
    clients = ClientFactory.create_batch(3, owner=user)
    mailing = MailingFactory(owner=user, clients=clients)
    # A second mailing of the same message: the message is PROTECTed twice over.
    MailingFactory(owner=user, message=mailing.message, clients=clients[:1])
    DeliveryFactory(attempt__mailing=mailing, client=clients[0])
    DeliveryFactory(attempt__mailing=mailing, client=clients[1], status="failed")
    PostFactory(author=user)
    QueuedEmail.objects.create(envelope_from="noreply@localhost", recipient=user.email, data=b"x")
    return user


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (User, Client, Message, Mailing, Attempt, Delivery, EmailAddress, Post)
    }


def test_the_page_deletes_an_account_holding_every_kind_of_object(csrf_client):
    user = account_with_everything()
    stranger = account_with_everything()
    stranger_counts = {
        "Client": 3,
        "Message": 1,
        "Mailing": 2,
        "Attempt": 2,
        "Delivery": 2,
        "EmailAddress": 1,
    }
    csrf_client.force_login(user)

    response = csrf_client.submit("/accounts/delete/", {"password": PASSWORD})

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    for name, count in stranger_counts.items():
        assert counts()[name] == count, name
    assert counts()["User"] == 1 and counts()["Post"] == 2
    assert Post.objects.filter(author=None).count() == 1
    assert not Mailing.objects.filter(owner_id=user.pk).exists()
    assert not Attempt.objects.filter(mailing__owner_id=user.pk).exists()
    assert list(QueuedEmail.objects.values_list("recipient", flat=True)) == [stranger.email]
    assert EmailConfirmation.objects.get().email_address.user == stranger


def test_a_failure_half_way_deletes_nothing():
    user = account_with_everything()
    before = counts()

    class Boom(Exception):
        pass

    def fail_on_user(sender, instance, **kwargs):
        raise Boom

    pre_delete.connect(fail_on_user, sender=User)
    try:
        with pytest.raises(Boom):
            user_delete(user=user)
    finally:
        pre_delete.disconnect(fail_on_user, sender=User)

    assert counts() == before
