import datetime as dt

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from mailings.models import Client, Mailing, Message


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    owner = factory.SubFactory(UserFactory)
    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Читатель {n}")


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    owner = factory.SubFactory(UserFactory)
    subject = "Новости для {{ full_name }}"
    body = "Здравствуйте, {{ full_name }}!\n\nВаш адрес: {{email}}.\nПодробности: https://example.com/sale"


class MailingFactory(factory.django.DjangoModelFactory):
    """A one-off mailing due right now (start a minute ago)."""

    class Meta:
        model = Mailing
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    message = factory.SubFactory(MessageFactory, owner=factory.SelfAttribute("..owner"))
    start_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=1))
    end_at = None
    periodicity = Mailing.Periodicity.ONCE

    @factory.post_generation
    def clients(self, create, extracted, **kwargs):
        if create and extracted:
            self.clients.set(extracted)


def mailing_to(count: int, *, owner=None, prefix: str = "reader", **kwargs) -> Mailing:
    """A due mailing with `count` fresh clients (bulk-created: fast for large runs)."""
    owner = owner or UserFactory()
    clients = Client.objects.bulk_create(
        Client(owner=owner, email=f"{prefix}{i}@example.org", full_name=f"Читатель {i}")
        for i in range(count)
    )
    mailing = MailingFactory(owner=owner, **kwargs)
    mailing.clients.set(clients)
    if mailing.next_run_at is None and mailing.status == Mailing.Status.CREATED:
        from sending.services import mailing_schedule

        mailing_schedule(mailing=mailing)
    return mailing
