"""Mailings data for the home page tests (the dashboard only reads these models)."""

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from mailings.models import Client, Mailing, Message


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    owner = factory.SubFactory(UserFactory)
    email = factory.Sequence(lambda n: f"client{n}@example.org")
    full_name = factory.Faker("name")


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    owner = factory.SubFactory(UserFactory)
    subject = factory.Sequence(lambda n: f"Subject {n}")
    body = "Hello, {{ full_name }}!"


class MailingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mailing
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    message = factory.SubFactory(MessageFactory, owner=factory.SelfAttribute("..owner"))
    start_at = factory.LazyFunction(timezone.now)
    periodicity = Mailing.Periodicity.ONCE
    status = Mailing.Status.CREATED

    @factory.post_generation
    def clients(self, create, extracted, **kwargs):
        if create and extracted:
            self.clients.add(*extracted)
