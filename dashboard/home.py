"""What the home page shows: the mailing figures and a few random blog posts, cached.

Figures are cached as rendered fragments ({% cache %} in the template), one per scope:
"site" for the service-wide figures (visitors and managers), "user:<id>" for a user's
own. A change to a mailing or client deletes its owner's fragments and the site's; the
TTL is the backstop for changes made without signals (queryset updates by the sender).
"""

import random
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import Lower

from blog.cache import blog_version
from blog.models import Post
from mailings.models import Client, Mailing

# No figure is ever older than this, whatever path changed the data.
FIGURES_TTL = 60
FIGURES_FRAGMENT = "home_figures"
POOL_TTL = 300
SITE_SCOPE = "site"


@dataclass(frozen=True)
class Figures:
    mailings: int
    running: int
    clients: int


def figures_scope(user) -> str:
    """Whose figures the user sees: the service's (visitors, managers) or their own."""
    if not user.is_authenticated or user.has_perm("mailings.view_all_mailings"):
        return SITE_SCOPE
    return f"user:{user.pk}"


def compute_figures(*, owner=None) -> Figures:
    """Count mailings, running mailings and distinct client addresses across mailings."""
    mailings = Mailing.objects.all() if owner is None else Mailing.objects.owned_by(owner)
    counts = mailings.order_by().aggregate(
        total=Count("pk"), running=Count("pk", filter=Q(status=Mailing.Status.RUNNING))
    )
    clients = (
        Client.objects.filter(mailings__isnull=False)
        if owner is None
        else Client.objects.filter(mailings__owner=owner)
    )
    unique = clients.order_by().aggregate(n=Count(Lower("email"), distinct=True))["n"]
    return Figures(mailings=counts["total"], running=counts["running"], clients=unique)


def figures_cache_keys(scope: str) -> list[str]:
    return [
        make_template_fragment_key(FIGURES_FRAGMENT, [scope, code])
        for code, _name in settings.LANGUAGES
    ]


def figures_changed(*, owner_id: int | None) -> None:
    """Drop the cached figures an owner's change affects: theirs and the service's.

    Dropped now and again after commit, so a page rendered from the old data in between
    does not survive the change.
    """
    keys = figures_cache_keys(SITE_SCOPE)
    if owner_id is not None:
        keys += figures_cache_keys(f"user:{owner_id}")

    def drop() -> None:
        cache.delete_many(keys)

    drop()
    transaction.on_commit(drop)


def random_post_ids(count: int = 3, *, version: str | None = None) -> list[int]:
    """Up to `count` random published posts, picked from a cached pool of ids.

    No ORDER BY RANDOM(): the pool is read once (unsorted) and sampled in Python.
    The blog's version is part of the key, so publishing or deleting a post renews it.
    """
    key = f"home:post_pool:{version or blog_version()}"
    pool = cache.get(key)
    if pool is None:
        pool = list(Post.objects.published().order_by().values_list("pk", flat=True))
        cache.set(key, pool, POOL_TTL)
    return random.sample(pool, min(count, len(pool)))
