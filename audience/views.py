from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.messages.views import SuccessMessageMixin
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import CreateView, DeleteView, DetailView, ListView, UpdateView

from workspace.access import OwnerFormMixin, ReadAccessMixin, WriteAccessMixin
from workspace.search import search_q, search_text
from workspace.views import ListControlsMixin

from .client_views import ClientListView
from .forms import BulkActionForm, MailingListForm, TagForm
from .models import Client, MailingList, Membership, Tag
from .selectors import (
    AudienceFilter,
    list_member_counts,
    list_members,
    lists_visible_to,
    lists_with_member_counts,
    segments_naming_tag,
    tags_with_client_counts,
)
from .services import (
    list_add_clients,
    list_remove_clients,
    tag_add_clients,
    tag_remove_clients,
    tags_for_names,
)

MEMBERS_PER_PAGE = 50


class ListReadMixin(ReadAccessMixin):
    model = MailingList

    def get_queryset(self):
        return lists_visible_to(self.request.user).select_related("owner")


class MailingListListView(ListControlsMixin, ListReadMixin, ListView):
    template_name = "audience/list_list.html"
    search_fields = ("name", "description")
    sort_fields = {
        "name": "name",
        "subscribed": "subscribed_count",
        "created": "created_at",
        "owner": "owner__email",
    }
    default_sort = "name"

    def get_queryset(self):
        return lists_with_member_counts(super().get_queryset())


class MailingListDetailView(ListReadMixin, DetailView):
    template_name = "audience/list_detail.html"
    context_object_name = "mailing_list"

    def get_context_data(self, **kwargs):
        status = self.request.GET.get("status", "")
        if status not in Membership.Status.values:
            status = ""
        members = Paginator(list_members(self.object, status=status), MEMBERS_PER_PAGE)
        counts = list_member_counts(self.object)
        return {
            **super().get_context_data(**kwargs),
            "counts": counts,
            "member_total": sum(counts.values()),
            "status": status,
            "statuses": [
                (value, label, counts[key])
                for (value, label), key in zip(
                    Membership.Status.choices, ("subscribed", "pending", "left"), strict=True
                )
            ],
            "page_obj": members.get_page(self.request.GET.get("page")),
            "mailing_count": self.object.mailings.count(),
        }


class MailingListFormMixin(OwnerFormMixin, SuccessMessageMixin):
    model = MailingList
    form_class = MailingListForm
    template_name = "audience/list_form.html"
    success_message = _("List “%(name)s” has been saved.")

    def form_valid(self, form):
        try:
            with transaction.atomic():
                return super().form_valid(form)
        except IntegrityError:
            # The same name saved by a parallel request between validation and insert.
            form.add_error("name", gettext("You already have a list with this name."))
            return self.form_invalid(form)


class MailingListCreateView(MailingListFormMixin, CreateView):
    def get_initial(self):
        # An import's "create the list" link names the list its rows named (?name=…).
        return {**super().get_initial(), "name": self.request.GET.get("name", "")[:255]}


class MailingListUpdateView(MailingListFormMixin, UpdateView):
    pass


class MailingListDeleteView(WriteAccessMixin, SuccessMessageMixin, DeleteView):
    model = MailingList
    template_name = "audience/list_confirm_delete.html"
    context_object_name = "mailing_list"
    success_url = reverse_lazy("audience:list_list")
    success_message = _("The list has been deleted.")

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "counts": list_member_counts(self.object),
            "mailing_count": self.object.mailings.count(),
        }


class TagListView(ListControlsMixin, ReadAccessMixin, ListView):
    """Tags with how many clients carry each; a count leads to those clients."""

    model = Tag
    template_name = "audience/tag_list.html"
    search_fields = ("name",)
    sort_fields = {"name": "name", "clients": "client_count", "owner": "owner__email"}
    default_sort = "name"

    def get_queryset(self):
        # Sorted by ListControlsMixin on the count annotated here (resolved at query time).
        return tags_with_client_counts(super().get_queryset().select_related("owner"))


class TagFormMixin(OwnerFormMixin, SuccessMessageMixin):
    model = Tag
    form_class = TagForm
    template_name = "audience/tag_form.html"
    success_url = reverse_lazy("audience:tag_list")
    success_message = _("Tag “%(name)s” has been saved.")

    def form_valid(self, form):
        try:
            with transaction.atomic():
                return super().form_valid(form)
        except IntegrityError:
            # The same name saved by a parallel request between validation and write.
            form.add_error("name", gettext("You already have a tag with this name."))
            return self.form_invalid(form)


class TagCreateView(TagFormMixin, CreateView):
    pass


class TagUpdateView(TagFormMixin, UpdateView):
    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "segments": segments_naming_tag(self.object)}


class TagDeleteView(WriteAccessMixin, SuccessMessageMixin, DeleteView):
    """Clients keep everything but the tag; segments naming it are listed first, since
    they stop matching (and their mailings' runs fail) until changed."""

    model = Tag
    template_name = "audience/tag_confirm_delete.html"
    context_object_name = "tag"
    success_url = reverse_lazy("audience:tag_list")
    success_message = _("The tag has been deleted.")

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "client_count": self.object.clients.count(),
            "segments": segments_naming_tag(self.object),
        }


@method_decorator(require_POST, name="dispatch")
class ClientBulkView(WriteAccessMixin, View):
    """Add every client the search matches to a list or a tag, or take them off it: the
    client list's search and filters come along as hidden fields, so the action covers
    all of them, not just the page shown."""

    model = Client

    def post(self, request):
        query = search_text(request.POST.get("q", ""))
        chosen = AudienceFilter.from_params(request.POST, user=request.user)
        back = reverse("mailings:client_list")
        kept = {
            name: value
            for name in ("q", "list", "tag")
            if (value := request.POST.get(name, "").replace("\x00", "")[:200])
        }
        if kept:
            back += "?" + urlencode(kept)
        if not query and not chosen.active:
            messages.error(request, gettext("Search or filter the clients first."))
            return redirect(back)
        form = BulkActionForm(request.POST, owner=request.user)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            return redirect(back)
        clients = self.get_queryset()
        if query:
            clients = clients.filter(search_q(ClientListView.search_fields, query))
        clients = chosen.apply(clients)
        messages.success(request, self.act(form, clients))
        return redirect(back)

    def act(self, form: BulkActionForm, clients) -> str:
        action, data = form.cleaned_data["action"], form.cleaned_data
        if action == BulkActionForm.ADD_TO_LIST:
            result = list_add_clients(mailing_list=data["target_list"], clients=clients)
            text = ngettext(
                "%(count)d client added to “%(name)s”.",
                "%(count)d clients added to “%(name)s”.",
                result.changed,
            ) % {"count": result.changed, "name": data["target_list"].name}
            if result.skipped_left:
                text += " " + ngettext(
                    "%(count)d client who left this list was not put back.",
                    "%(count)d clients who left this list were not put back.",
                    result.skipped_left,
                ) % {"count": result.skipped_left}
            return text
        if action == BulkActionForm.REMOVE_FROM_LIST:
            result = list_remove_clients(mailing_list=data["target_list"], clients=clients)
            return ngettext(
                "%(count)d client removed from “%(name)s”.",
                "%(count)d clients removed from “%(name)s”.",
                result.changed,
            ) % {"count": result.changed, "name": data["target_list"].name}
        if action == BulkActionForm.ADD_TAG:
            (tag,) = tags_for_names(owner=self.request.user, names=[data["tag_name"]])
            result = tag_add_clients(tag=tag, clients=clients)
            return ngettext(
                "%(count)d client tagged “%(name)s”.",
                "%(count)d clients tagged “%(name)s”.",
                result.changed,
            ) % {"count": result.changed, "name": tag.name}
        result = tag_remove_clients(tag=data["tag"], clients=clients)
        return ngettext(
            "Tag “%(name)s” removed from %(count)d client.",
            "Tag “%(name)s” removed from %(count)d clients.",
            result.changed,
        ) % {"count": result.changed, "name": data["tag"].name}
