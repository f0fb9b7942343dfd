"""The workspace's rows for every app's tests, with named variants: `MailingFactory` (a
daily mailing whose window opens tomorrow), `DueMailingFactory` (a one-off due now),
`mailing_to(n)` (a due mailing with n fresh clients), and finished runs' Attempt and
Delivery rows."""

import datetime as dt

import factory
from django.core import signing
from django.utils import timezone

from accounts.tests.factories import UserFactory
from audience.models import Client
from mailings.lifecycle import mailing_schedule
from mailings.models import Mailing, Message
from sending.content import UNSUBSCRIBE_SALT
from sending.models import Attempt, Delivery


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    owner = factory.SubFactory(UserFactory)
    email = factory.Sequence(lambda n: f"client{n}@example.org")
    full_name = factory.Faker("name", locale="ru_RU")
    unsubscribed_at = None
    # An unsubscribed_at given alone makes the client unsubscribed, as the link does.
    status = factory.LazyAttribute(
        lambda client: (
            Client.Status.UNSUBSCRIBED if client.unsubscribed_at else Client.Status.ACTIVE
        )
    )


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    owner = factory.SubFactory(UserFactory)
    subject = factory.Sequence(lambda n: f"Новости №{n}")
    body = "Здравствуйте, {{ full_name }}!\n\nУ нас новости."


class MailingFactory(factory.django.DjangoModelFactory):
    """A future mailing: daily for 30 days from tomorrow."""

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


class DueMailingFactory(MailingFactory):
    """A one-off mailing due right now (start a minute ago)."""

    start_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=1))
    end_at = None
    periodicity = Mailing.Periodicity.ONCE


def mailing_to(count: int, *, owner=None, prefix: str = "reader", **kwargs) -> Mailing:
    """A due mailing with `count` fresh clients (bulk-created: fast for large runs),
    scheduled as the mailing form would."""
    owner = owner or UserFactory()
    clients = Client.objects.bulk_create(
        Client(owner=owner, email=f"{prefix}{i}@example.org", full_name=f"Читатель {i}")
        for i in range(count)
    )
    mailing = DueMailingFactory(owner=owner, **kwargs)
    mailing.clients.set(clients)
    if mailing.next_run_at is None and mailing.status == Mailing.Status.CREATED:
        mailing_schedule(mailing=mailing)
    return mailing


def daily_mailing_to(count: int, **kwargs) -> Mailing:
    """As mailing_to, but daily for a week: "Send now" then makes another run (a one-off
    mailing has exactly one)."""
    kwargs.setdefault("end_at", timezone.now() + dt.timedelta(days=7))
    return mailing_to(count, periodicity=Mailing.Periodicity.DAILY, **kwargs)


def unsubscribe_token(client_id: int) -> str:
    """The token of the client's unsubscribe link, as a sent email carries it."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object(client_id)


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
