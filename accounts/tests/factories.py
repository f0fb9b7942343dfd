import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from accounts.models import User

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    """A user who has verified the email address and may log in."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        for name in extracted or ():
            self.groups.add(Group.objects.get(name=name))


def manager(**kwargs) -> User:
    return UserFactory(groups=["Managers"], **kwargs)


def content_manager(**kwargs) -> User:
    return UserFactory(groups=["Content managers"], **kwargs)
