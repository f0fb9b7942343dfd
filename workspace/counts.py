"""Counts over a million rows cost a noticeable part of a page's time budget: a count
that came out large is remembered for a minute, so that paging through a big list or
reloading a mailing does not count it again. Small counts stay exact at every load."""

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.utils.functional import cached_property

LARGE = 10_000
REMEMBERED_SECONDS = 60

T = TypeVar("T")


def remembered_if_large(key: str, compute: Callable[[], T], *, size: Callable[[T], int]) -> T:
    value = cache.get(key)
    if value is None:
        value = compute()
        if size(value) >= LARGE:
            cache.set(key, value, REMEMBERED_SECONDS)
    return value


class LargeCountPaginator(Paginator):
    """A paginator whose count of a large list is remembered for a minute."""

    @cached_property
    def count(self) -> int:
        try:
            sql = str(self.object_list.query)
        except (AttributeError, EmptyResultSet):
            return super().count
        key = "page-count:" + hashlib.sha256(sql.encode()).hexdigest()
        return remembered_if_large(key, lambda: Paginator.count.func(self), size=int)
