from functools import cache

import factory

from accounts.tests.factories import UserFactory
from senders import keys
from senders.models import Domain, Sender


@cache
def _test_key():
    # One RSA key for the suite's factories (generating one takes tens of milliseconds);
    # the service that adds a domain generates its own, and its tests check that.
    return keys.rsa_key_generate()


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Domain

    owner = factory.SubFactory(UserFactory)
    domain = factory.Sequence(lambda n: f"shop{n}.test")
    # Encrypted with the FIELD_ENCRYPTION_KEY of the test that creates it.
    private_key_encrypted = factory.LazyFunction(
        lambda: keys.encrypt(keys.private_key_pem(_test_key()))
    )
    public_key = factory.LazyFunction(lambda: keys.public_key_base64(_test_key()))


class SenderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sender

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Лавка №{n}")
    email = factory.Sequence(lambda n: f"news{n}@shop.test")
