"""Lists and tags for the audience tests (clients come from mailings.tests.factories)."""

import factory

from accounts.tests.factories import UserFactory
from audience.models import MailingList, Membership, Tag
from mailings.tests.factories import ClientFactory


class MailingListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MailingList

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Новости {n}")
    double_opt_in = False


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"метка {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    mailing_list = factory.SubFactory(MailingListFactory)
    client = factory.SubFactory(ClientFactory, owner=factory.SelfAttribute("..mailing_list.owner"))
    status = Membership.Status.SUBSCRIBED
