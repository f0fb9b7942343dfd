"""Demo accounts for `seed_demo`: idempotent, every one with a verified email."""

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from .models import User

DEMO_PASSWORD = "demo-pass-2026"

DEMO_USERS = [
    # (email, first name, last name, group or None, role shown to the operator)
    ("admin@demo.rassylka.local", "Admin", "Demo", None, "superuser"),
    ("manager@demo.rassylka.local", "Мария", "Менеджерова", "Managers", "manager"),
    ("editor@demo.rassylka.local", "Ольга", "Редакторова", "Content managers", "content manager"),
    ("anna@demo.rassylka.local", "Анна", "Иванова", None, "user"),
    ("boris@demo.rassylka.local", "Борис", "Петров", None, "user"),
]


def seed_users() -> dict[str, User]:
    """Create (or leave as they are) the demo accounts; return them keyed by role word."""
    users: dict[str, User] = {}
    for email, first_name, last_name, group_name, role in DEMO_USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            create = (
                User.objects.create_superuser if role == "superuser" else User.objects.create_user
            )
            user = create(
                email=email, password=DEMO_PASSWORD, first_name=first_name, last_name=last_name
            )
        if group_name:
            user.groups.add(Group.objects.get(name=group_name))
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        users[email.split("@")[0]] = user
    return users


def describe_logins() -> list[tuple[str, str]]:
    return [(email, role) for email, _first, _last, _group, role in DEMO_USERS]
