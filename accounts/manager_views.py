"""Manager screens: every user with their counts, and block/unblock."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from .forms import BlockForm
from .models import User, manager_role
from .services import user_block, user_unblock

# Group names are data; listed here so that the catalogue translates their badges.
GROUP_NAMES = [_("Managers"), _("Content managers")]


class ManagerMixin(PermissionRequiredMixin):
    """Anonymous visitors go to the login page; signed-in non-managers get 403."""

    permission_required = "accounts.block_user"


class UserListView(ManagerMixin, ListView):
    template_name = "accounts/manager/user_list.html"
    context_object_name = "users"
    paginate_by = 25
    sort_fields = {
        "email": "email",
        "joined": "date_joined",
        "clients": "client_count",
        "mailings": "mailing_count",
    }

    def get_queryset(self):
        users = User.objects.annotate(
            client_count=Count("clients", distinct=True),
            mailing_count=Count("mailings", distinct=True),
            is_manager_role=manager_role(),
        ).prefetch_related("groups")
        # PostgreSQL refuses a NUL character in a query parameter (a 500): drop any.
        self.query = self.request.GET.get("q", "").replace("\x00", "").strip()[:200]
        if self.query:
            users = users.filter(
                Q(email__icontains=self.query)
                | Q(first_name__icontains=self.query)
                | Q(last_name__icontains=self.query)
            )
        self.state = self.request.GET.get("state", "")
        if self.state == "blocked":
            users = users.filter(is_active=False)
        elif self.state == "active":
            users = users.filter(is_active=True)
        else:
            self.state = ""
        sort = self.request.GET.get("sort", "")
        if sort.lstrip("-") not in self.sort_fields:
            sort = "email"
        self.sort = sort
        field = F(self.sort_fields[sort.lstrip("-")])
        descending = sort.startswith("-")
        return users.order_by(
            field.desc() if descending else field.asc(), "-pk" if descending else "pk"
        )

    def get_context_data(self, **kwargs):
        kept = [(k, v) for k, v in self.request.GET.items() if k not in ("q", "page") and v]
        return {
            **super().get_context_data(**kwargs),
            "query": self.query,
            "state": self.state,
            "sort": self.sort,
            "kept_params": kept,
        }


@method_decorator(require_POST, name="dispatch")
class UserBlockView(ManagerMixin, View):
    done_message = _("%(email)s is blocked: they cannot log in and their mailings do not run.")

    def post(self, request, pk: int):
        user = get_object_or_404(User, pk=pk)
        try:
            self.apply(user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, self.done_message % {"email": user.email})
        # Back to the same filtered page of the list, but never to another site. Only a
        # path: redirect() would take a bare word for a view name (NoReverseMatch, a 500).
        next_url = request.POST.get("next", "")
        if next_url.startswith("/") and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return HttpResponseRedirect(next_url)
        return redirect("manager:users")

    def apply(self, user: User) -> None:
        form = BlockForm(self.request.POST)
        if not form.is_valid():
            raise ValidationError(form.errors["reason"])
        user_block(actor=self.request.user, user=user, reason=form.cleaned_data["reason"])


class UserUnblockView(UserBlockView):
    done_message = _("%(email)s is unblocked.")

    def apply(self, user: User) -> None:
        user_unblock(actor=self.request.user, user=user)
