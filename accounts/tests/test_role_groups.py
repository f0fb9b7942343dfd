"""SPEC §4: the groups and their permissions come from data migrations, not by hand."""

import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db


def codenames(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_migrations_create_the_managers_group_with_oversight_rights_only():
    rights = codenames("Managers")
    assert {
        "accounts.block_user",
        "mailings.view_all_mailings",
        "mailings.disable_mailing",
    } <= rights
    # Managers see and block, they never create, change or delete workspace data.
    assert not {r for r in rights if r.split(".")[1].startswith(("add_", "change_", "delete_"))}


def test_migrations_create_the_content_managers_group_with_blog_rights():
    assert codenames("Content managers") == {
        "blog.add_post",
        "blog.change_post",
        "blog.delete_post",
        "blog.view_post",
    }
