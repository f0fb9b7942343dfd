"""List pages' controls: search (?q=), sorting (?sort=key or -key) and paging."""

from django.db.models import F

from .counts import LargeCountPaginator
from .roles import sees_everything
from .search import search_q, search_text

PAGE_SIZE = 25


class ListControlsMixin:
    """Search (?q=), sorting (?sort=key or -key) and pagination for a list page."""

    paginate_by = PAGE_SIZE
    paginator_class = LargeCountPaginator
    search_fields: tuple[str, ...] = ()
    sort_fields: dict[str, str] = {}
    default_sort = ""

    def get_search_fields(self) -> tuple[str, ...]:
        if sees_everything(self.request.user):
            return (*self.search_fields, "owner__email")
        return self.search_fields

    def get_queryset(self):
        queryset = super().get_queryset()
        self.query = search_text(self.request.GET.get("q", ""))
        if self.query:
            queryset = queryset.filter(search_q(self.get_search_fields(), self.query))
        sort = self.request.GET.get("sort", "")
        if sort.lstrip("-") not in self.sort_fields:
            sort = self.default_sort
        self.sort = sort
        descending = sort.startswith("-")
        field = F(self.sort_fields[sort.lstrip("-")])
        order = field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)
        # The id breaks ties so that pages never repeat or skip a row.
        return queryset.order_by(order, "-pk" if descending else "pk")

    def get_context_data(self, **kwargs):
        kept = [(k, v) for k, v in self.request.GET.items() if k not in ("q", "page") and v]
        return {
            **super().get_context_data(**kwargs),
            "query": self.query,
            "sort": self.sort,
            "kept_params": kept,
        }
