"""What the home page shows: the mailing figures and a few random blog posts, cached.

Figures are cached as rendered fragments ({% cache %} in the template), one per scope:
"site" for the service-wide figures (visitors and managers), "user:<id>" for a user's
own. A change to a mailing or client deletes its owner's fragments and the site's; the
TTL is the backstop for changes made without signals (queryset updates by the sender).

Visitors without an account all see one page per language, cached whole (`shared_page`)
with two holes filled per request: the random posts and the CSRF token of the language
switcher. A request then costs one cache round trip and no template rendering. A change
to the figures or the blog bumps a version that marks the page stale; one request renews
it while the others are still served the stale one.
"""

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.middleware.csrf import get_token
from django.utils import translation
from django.utils.safestring import mark_safe

from blog.cache import VERSION_KEY, blog_version, post_cards
from blog.models import Post
from mailings.models import Mailing
from mailings.recipients import clients_targeted_by
from workspace.roles import sees_everything

# No figure is ever older than this, whatever path changed the data.
FIGURES_TTL = 60
FIGURES_FRAGMENT = "home_figures"
POOL_TTL = 300
SITE_SCOPE = "site"
FIGURES_VERSION_KEY = "home:figures-version"
HOME_POSTS = 3
# Posts a visitor's home page picks from until the page is renewed (each FIGURES_TTL).
SHARED_PAGE_CARDS = 30
# Longest a page build may take before another request may try (a build that died).
SHARED_PAGE_BUILD_TIMEOUT = 30
# Stand-ins rendered into the shared page, replaced per request. Only our own templates
# and numbers are in that page, so nothing else can contain them.
CSRF_HOLE = "shared-page-csrf-token"
CARD_HOLE = "<!--shared-page-post-card-{}-->"


@dataclass(frozen=True)
class Figures:
    mailings: int
    running: int
    clients: int


def figures_scope(user) -> str:
    """Whose figures the user sees: the service's (visitors, managers) or their own."""
    if not user.is_authenticated or sees_everything(user):
        return SITE_SCOPE
    return f"user:{user.pk}"


def compute_figures(*, owner=None) -> Figures:
    """Count mailings, running mailings and the distinct addresses they are meant for."""
    mailings = Mailing.objects.all() if owner is None else Mailing.objects.owned_by(owner)
    counts = mailings.order_by().aggregate(
        total=Count("pk"), running=Count("pk", filter=Q(status=Mailing.Status.RUNNING))
    )
    unique = (
        clients_targeted_by(mailings)
        .order_by()
        .aggregate(n=Count(Lower("email"), distinct=True))["n"]
    )
    return Figures(mailings=counts["total"], running=counts["running"], clients=unique)


def figures_cache_key(scope: str, language: str) -> str:
    return make_template_fragment_key(FIGURES_FRAGMENT, [scope, language])


def shared_page_key(language: str) -> str:
    # The page links the static files by their hashed names: a release that changes them
    # must not serve a page pointing at files it no longer has.
    release = getattr(staticfiles_storage, "manifest_hash", "")
    return f"home:shared-page:{release}:{language}"


def figures_cache_keys(scope: str) -> list[str]:
    return [figures_cache_key(scope, code) for code, _name in settings.LANGUAGES]


def figures_version() -> str:
    return cache.get_or_set(FIGURES_VERSION_KEY, lambda: uuid.uuid4().hex, None)


def figures_changed(*, owner_id: int | None) -> None:
    """Drop the cached figures an owner's change affects: theirs and the service's
    (the visitors' shared page included).

    Dropped now and again after commit, so a page rendered from the old data in between
    does not survive the change.
    """
    keys = figures_cache_keys(SITE_SCOPE)
    if owner_id is not None:
        keys += figures_cache_keys(f"user:{owner_id}")

    def drop() -> None:
        cache.delete_many(keys)
        cache.set(FIGURES_VERSION_KEY, uuid.uuid4().hex, None)  # the shared page is stale

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
        pool = published_post_ids()
        cache.set(key, pool, POOL_TTL)
    return random.sample(pool, min(count, len(pool)))


def published_post_ids() -> list[int]:
    return list(Post.objects.published().order_by().values_list("pk", flat=True))


def serves_shared_page(request) -> bool:
    """Whether this request gets the page every visitor gets: no account, no query
    string (the language switcher sends the visitor back to the full path) and no
    pending message (a visitor who just signed out is told so)."""
    return (
        not request.user.is_authenticated
        and not request.META.get("QUERY_STRING")
        and not len(get_messages(request))  # len() does not mark them as shown
    )


def shared_page(request, render: Callable[..., str]) -> str | None:
    """The visitors' home page: the cached page with this request's posts and CSRF token.

    The cache entry holds the page and the rendered cards of up to SHARED_PAGE_CARDS
    published posts (a random selection when there are more, renewed with the page), so a
    request reads one entry and picks its posts from it. `render(post_cards=...,
    csrf_token=...)` renders the page around the holes. It runs when the page is older
    than FIGURES_TTL or from before a figures or blog change, in one request at a time;
    the others get the stale page meanwhile, or None (render it the ordinary way) when
    there is none.
    """
    language = translation.get_language()
    key = shared_page_key(language)
    found = cache.get_many([VERSION_KEY, FIGURES_VERSION_KEY, key])
    versions = [
        found.get(VERSION_KEY) or blog_version(),
        found.get(FIGURES_VERSION_KEY) or figures_version(),
    ]
    page = found.get(key)
    if page is None or page["versions"] != versions or time.time() >= page["fresh_until"]:
        building = f"{key}:building"
        if cache.add(building, 1, SHARED_PAGE_BUILD_TIMEOUT):
            try:
                page = _build_shared_page(render, language=language, versions=versions)
                cache.set(key, page, FIGURES_TTL + SHARED_PAGE_BUILD_TIMEOUT)
            finally:
                cache.delete(building)
        elif page is None:
            return None
    html = page["html"].replace(CSRF_HOLE, get_token(request))
    cards = random.sample(page["cards"], min(HOME_POSTS, len(page["cards"])))
    for n in range(HOME_POSTS):
        html = html.replace(CARD_HOLE.format(n), cards[n] if n < len(cards) else "")
    return html


def _build_shared_page(render: Callable[..., str], *, language: str, versions: list) -> dict:
    # Fresh for FIGURES_TTL from before the figures are counted, never from after.
    fresh_until = time.time() + FIGURES_TTL
    pool = published_post_ids()
    selection = random.sample(pool, min(SHARED_PAGE_CARDS, len(pool)))
    # The page is the figures' cache for visitors: built from a fragment up to a minute
    # old, it would show figures up to two minutes old.
    cache.delete(figures_cache_key(SITE_SCOPE, language))
    holes = [mark_safe(CARD_HOLE.format(n)) for n in range(min(HOME_POSTS, len(pool)))]  # noqa: S308
    return {
        "versions": versions,
        "fresh_until": fresh_until,
        "html": render(post_cards=holes, csrf_token=CSRF_HOLE),
        "cards": [str(card) for card in post_cards(selection, version=versions[0])],
    }
