from importlib import import_module

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group, Permission

from accounts.models import User

PASSWORD = "correct-horse-battery"

ROLE_PERMISSIONS = {
    "Managers": import_module("mailings.migrations.0002_managers_group").MANAGER_PERMISSIONS,
    "Content managers": import_module(
        "blog.migrations.0002_content_managers_group"
    ).CONTENT_MANAGER_PERMISSIONS,
}


def role_group(name: str) -> Group:
    """The group a data migration made, or the same again if a transactional test's
    flush emptied the table (a flush restores permissions, not groups)."""
    group, created = Group.objects.get_or_create(name=name)
    if created:
        for _app_label, model, codename in ROLE_PERMISSIONS[name]:
            # By model and codename: the app label is the one of the migration's day
            # (Attempt has moved from mailings to sending since).
            group.permissions.add(
                Permission.objects.get(content_type__model=model, codename=codename)
            )
    return group


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
            self.groups.add(role_group(name))


def manager(**kwargs) -> User:
    return UserFactory(groups=["Managers"], **kwargs)


def content_manager(**kwargs) -> User:
    return UserFactory(groups=["Content managers"], **kwargs)
