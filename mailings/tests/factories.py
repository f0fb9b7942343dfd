import datetime as dt

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from mailings.models import Client, Mailing, Message
from sending.models import Attempt, Delivery


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    owner = factory.SubFactory(UserFactory)
    email = factory.Sequence(lambda n: f"client{n}@example.org")
    full_name = factory.Faker("name", locale="ru_RU")


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    owner = factory.SubFactory(UserFactory)
    subject = factory.Sequence(lambda n: f"Новости №{n}")
    body = "Здравствуйте, {{ full_name }}!\n\nУ нас новости."


class MailingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mailing
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    message = factory.SubFactory(MessageFactory, owner=factory.SelfAttribute("..owner"))
    start_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))
    end_at = factory.LazyAttribute(lambda m: m.start_at + dt.timedelta(days=30))
    periodicity = Mailing.Periodicity.DAILY

    @factory.post_generation
    def clients(self, create, extracted, **kwargs):
        if create and extracted:
            self.clients.set(extracted)


class AttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attempt

    mailing = factory.SubFactory(MailingFactory)
    started_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    finished_at = factory.LazyAttribute(lambda a: a.started_at + dt.timedelta(minutes=2))
    status = Attempt.Status.SUCCESS
    server_response = "250 2.0.0 Ok: queued as 4F2A1"
    sent_count = 3
    failed_count = 0
    total_count = factory.LazyAttribute(lambda a: a.sent_count + a.failed_count)


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    attempt = factory.SubFactory(AttemptFactory)
    client = factory.SubFactory(
        ClientFactory, owner=factory.SelfAttribute("..attempt.mailing.owner")
    )
    email = factory.LazyAttribute(lambda d: d.client.email)
    full_name = factory.LazyAttribute(lambda d: d.client.full_name)
    status = Delivery.Status.SENT
    server_response = "250 2.0.0 Ok: queued as 4F2A1"
    tries = 1
