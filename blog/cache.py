"""Cached blog fragments.

Every cached piece of the blog carries the blog's version in its key; any change to a post
bumps the version, so stale fragments are simply never asked for again and expire.
View counts are never part of a cached fragment: they come from the database.
"""

import uuid

from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

VERSION_KEY = "blog:version"
FRAGMENT_TTL = 300


def blog_version() -> str:
    return cache.get_or_set(VERSION_KEY, lambda: uuid.uuid4().hex, None)


def blog_changed() -> None:
    """Retire every cached blog fragment, now and again once the change is committed
    (a page rendered meanwhile from the old data must not outlive the change)."""

    def bump() -> None:
        cache.set(VERSION_KEY, uuid.uuid4().hex, None)

    bump()
    transaction.on_commit(bump)


def post_cards(post_ids: list[int], *, version: str | None = None) -> list[SafeString]:
    """The rendered cards of these posts, in this order; only cache misses touch the database.

    `version` saves a cache round trip when the caller has just read blog_version().
    """
    from .models import Post

    language, zone = translation.get_language(), timezone.get_current_timezone_name()
    suffix = f"{version or blog_version()}:{language}:{zone}"
    keys = {pk: f"blog:card:{pk}:{suffix}" for pk in post_ids}
    cached = cache.get_many(keys.values())
    missing = [pk for pk in post_ids if keys[pk] not in cached]
    if missing:
        fresh = {
            keys[post.pk]: render_to_string("blog/includes/post_card.html", {"post": post})
            for post in Post.objects.published().filter(pk__in=missing).order_by()
        }
        cache.set_many(fresh, FRAGMENT_TTL)
        cached.update(fresh)
    # Our own rendered templates: safe as they were before they went through the cache.
    return [mark_safe(cached[keys[pk]]) for pk in post_ids if keys[pk] in cached]  # noqa: S308
