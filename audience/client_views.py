"""The client pages: the list (search, list and tag filters), a client's page, the
form, the CSV import and its progress, the export, and the mailing form's picker. Named
in the "mailings" namespace, as every link and test knows them (mailings/urls.py)."""

from django.contrib import messages
from django.contrib.messages.views import SuccessMessageMixin
from django.db import IntegrityError, transaction
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import (
    CreateView,
    DeleteView,
    DetailView,
    FormView,
    ListView,
    TemplateView,
    UpdateView,
)

from workspace.access import OwnerFormMixin, ReadAccessMixin, WriteAccessMixin
from workspace.roles import sees_everything
from workspace.search import search_q, search_text
from workspace.views import ListControlsMixin

from .attributes import attribute_label_set, attribute_labels, known_attribute_keys
from .client_csv import (
    MAX_NEW_LISTS,
    ImportFileError,
    ImportPlan,
    clients_csv_lines,
    new_names,
    sample_rows,
)
from .client_forms import (
    ClientForm,
    ClientImportForm,
    ClientImportMappingForm,
    CustomFieldForm,
    client_label,
    names_columns,
)
from .forms import BulkActionForm
from .imports import client_import_confirm, client_import_create, client_import_progress
from .models import Client, ClientImport, CustomField
from .selectors import (
    AudienceFilter,
    client_memberships,
    lists_visible_to,
    mailing_count_of_client,
    tags_visible_to,
)
from .suppressions import suppression_notice

# Lists and tags offered in the client list's filter.
FILTER_CHOICES = 200


class ClientListView(ListControlsMixin, ReadAccessMixin, ListView):
    model = Client
    search_fields = ("email", "full_name")
    sort_fields = {
        "email": "email",
        "name": "full_name",
        "created": "created_at",
        "mailings": "mailing_count",
        "owner": "owner__email",
    }
    default_sort = "email"

    def get_queryset(self):
        self.audience = AudienceFilter.from_params(self.request.GET, user=self.request.user)
        return self.audience.apply(
            super()
            .get_queryset()
            .select_related("owner")
            .prefetch_related("tags")
            .annotate(mailing_count=mailing_count_of_client())
        )

    def get_context_data(self, **kwargs):
        user = self.request.user
        context = super().get_context_data(**kwargs)
        filtered = bool(self.query or self.audience.active)
        # An overseer follows filter links (a list's "its clients") but picks no filter:
        # every owner's lists in one menu would say nothing.
        owner_view = not context["oversight"]
        return {
            **context,
            "audience": self.audience,
            "filter_lists": lists_visible_to(user)[:FILTER_CHOICES] if owner_view else [],
            "filter_tags": tags_visible_to(user)[:FILTER_CHOICES] if owner_view else [],
            "filtered": filtered,
            "bulk_form": BulkActionForm(owner=user) if filtered and owner_view else None,
        }


class ClientDetailView(ReadAccessMixin, DetailView):
    model = Client

    def get_queryset(self):
        return super().get_queryset().select_related("owner")

    def get_context_data(self, **kwargs):
        client = self.object
        return {
            **super().get_context_data(**kwargs),
            "memberships": client_memberships(client),
            "tags": client.tags.order_by("name"),
            # Its own fields under the names the owner gave them («Город», not gorod).
            "fields": [
                (label, client.attributes[key])
                for key, label in attribute_labels(client.owner_id, client.attributes).items()
            ]
            if isinstance(client.attributes, dict)
            else [],
            # Its mailings and deliveries, read through their relations to it: the
            # engine's and the mailings' rooms stand above this one.
            "client_mailings": client.mailings.select_related("message")[:20],
            "deliveries": client.deliveries.select_related("attempt__mailing__message").order_by(
                "-attempt__started_at"
            )[:10],
        }


class ClientFormMixin(OwnerFormMixin, SuccessMessageMixin):
    model = Client
    form_class = ClientForm

    def form_valid(self, form):
        try:
            with transaction.atomic():
                response = super().form_valid(form)
        except IntegrityError:
            # The same email saved by a parallel request between validation and insert.
            form.add_error("email", gettext("You already have a client with this email."))
            return self.form_invalid(form)
        if form.suppression is not None:
            notice = suppression_notice(email=self.object.email, suppression=form.suppression)
            messages.warning(self.request, notice)
        return response


class ClientCreateView(ClientFormMixin, CreateView):
    success_message = _("Client %(email)s has been added.")


class ClientUpdateView(ClientFormMixin, UpdateView):
    success_message = _("Client %(email)s has been saved.")


class ClientDeleteView(WriteAccessMixin, SuccessMessageMixin, DeleteView):
    model = Client
    success_url = reverse_lazy("mailings:client_list")
    success_message = _("The client has been deleted.")

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "mailing_count": self.object.mailings.count(),
            "delivery_count": self.object.deliveries.count(),
        }


@method_decorator(never_cache, name="dispatch")
class ClientSearchView(WriteAccessMixin, View):
    """The mailing form's client picker: up to 20 of your clients matching ?q=, as JSON.
    Never a list of everyone: the picker asks as the user types."""

    model = Client
    limit = 20

    def get(self, request):
        query = search_text(request.GET.get("q", ""))
        if not query:
            return JsonResponse({"results": []})
        found = (
            self.get_queryset()
            .filter(search_q(ClientListView.search_fields, query))
            .only("pk", "email", "full_name", "status")
            .order_by("email", "pk")[: self.limit]
        )
        return JsonResponse(
            {"results": [{"id": client.pk, "label": client_label(client)} for client in found]}
        )


class ClientImportView(WriteAccessMixin, FormView):
    """The upload: its encoding, separator and columns are read at once (a file that
    cannot be read is refused beside the field), then the user matches the columns."""

    model = Client
    form_class = ClientImportForm
    template_name = "audience/client_import.html"

    def get_context_data(self, **kwargs):
        recent = ClientImport.objects.owned_by(self.request.user).defer("data", "errors")
        return {**super().get_context_data(**kwargs), "recent_imports": recent[:5]}

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        try:
            job = client_import_create(
                owner=self.request.user, data=upload.read(), file_name=upload.name
            )
        except ImportFileError as error:
            form.add_error("file", str(error))
            return self.form_invalid(form)
        return redirect("mailings:client_import_mapping", pk=job.pk)


class ClientImportMappingView(WriteAccessMixin, DetailView):
    """The mapping step: each column's target, proposed from its name, and what the
    import will create; confirming queues the import for a worker. A large file takes
    longer than a request may, so the answer is the page that follows the import."""

    model = ClientImport
    template_name = "audience/client_import_mapping.html"
    context_object_name = "job"

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if self.object.status != ClientImport.Status.MAPPING:
            return redirect(self.object)
        form = ClientImportMappingForm(plan=ImportPlan.from_json(self.object.mapping))
        return self.render_form(form, form.plan)

    def post(self, request, *args, **kwargs):
        self.object = job = self.get_object()
        if job.status != ClientImport.Status.MAPPING:
            return redirect(job)
        form = ClientImportMappingForm(request.POST, plan=ImportPlan.from_json(job.mapping))
        if not form.is_valid():
            return self.render_form(form, ImportPlan.from_json(job.mapping))
        plan = form.plan
        names = new_names(owner=job.owner, data=bytes(job.data), plan=plan)
        if form.cleaned_data["shown"] != names_columns(plan):
            # Other columns name lists or tags now: show what they create before it is done.
            form.data = form.data.copy()
            form.data["shown"] = names_columns(plan)
            form.add_error(
                None,
                gettext(
                    "Other columns name lists or tags now: check below what the import "
                    "creates, then press “Import” again."
                ),
            )
            return self.render_form(form, plan, names)
        if plan.create_lists and len(names.lists) > MAX_NEW_LISTS:
            form.add_error(
                None,
                gettext(
                    "The file names %(count)d lists you do not have: an import creates at "
                    "most %(max)d. Is the lists column the right one?"
                )
                % {"count": len(names.lists), "max": MAX_NEW_LISTS},
            )
            return self.render_form(form, plan, names)
        client_import_confirm(job, plan)
        return redirect(job)

    def render_form(self, form, plan: ImportPlan, names=None):
        data = bytes(self.object.data)
        samples = sample_rows(data, plan)
        columns = [
            (field, [row[index] for row in samples if index < len(row) and row[index]])
            for index, field in enumerate(form.column_fields())
        ]
        return self.render_to_response(
            self.get_context_data(
                form=form,
                plan=plan,
                columns=columns,
                names=names or new_names(owner=self.object.owner, data=data, plan=plan),
                max_new_lists=MAX_NEW_LISTS,
            )
        )


class ClientImportDetailView(ReadAccessMixin, DetailView):
    model = ClientImport
    template_name = "audience/client_import_result.html"
    context_object_name = "job"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "progress": client_import_progress(self.object),
        }


@method_decorator(never_cache, name="dispatch")
class ClientImportProgressView(ReadAccessMixin, View):
    """The import's figures as JSON, polled by its page until it is over."""

    model = ClientImport

    def get(self, request, pk: int):
        job = get_object_or_404(self.get_queryset().defer("errors"), pk=pk)
        return JsonResponse(client_import_progress(job))


class ClientExportView(ListControlsMixin, ReadAccessMixin, View):
    """Streams the clients the list shows (same search), never holding them all in memory."""

    model = Client
    search_fields = ClientListView.search_fields
    sort_fields = {"email": "email"}
    default_sort = "email"

    def get(self, request, *args, **kwargs):
        clients = AudienceFilter.from_params(request.GET, user=request.user).apply(
            self.get_queryset()
        )
        oversight = sees_everything(request.user)
        lines = clients_csv_lines(
            clients,
            zone=timezone.get_current_timezone(),
            with_owner=oversight,
            # An overseer's export spans owners: their fields are not one set of columns.
            attribute_keys=[] if oversight else known_attribute_keys(request.user.pk),
        )
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        filename = f"clients-{timezone.localdate():%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class CustomFieldListView(WriteAccessMixin, TemplateView):
    """The owner's custom fields: the name people read and the placeholder a message
    writes, side by side (the one page besides the message form that shows keys)."""

    model = CustomField
    template_name = "audience/customfield_list.html"

    def get_context_data(self, **kwargs):
        labels = attribute_labels(self.request.user.pk)
        return {**super().get_context_data(**kwargs), "fields": labels}


class CustomFieldUpdateView(WriteAccessMixin, SuccessMessageMixin, FormView):
    model = CustomField
    form_class = CustomFieldForm
    template_name = "audience/customfield_form.html"
    success_url = reverse_lazy("mailings:client_fields")
    success_message = _("The field is now named “%(label)s”.")

    def get_form_kwargs(self):
        # Only a field the owner's clients have (or had named) can be renamed.
        self.labels = attribute_labels(self.request.user.pk)
        if self.kwargs["key"] not in self.labels:
            raise Http404
        return {**super().get_form_kwargs(), "owner": self.request.user, "key": self.kwargs["key"]}

    def get_initial(self):
        return {"label": self.labels[self.kwargs["key"]]}

    def get_context_data(self, **kwargs):
        key = self.kwargs["key"]
        return {**super().get_context_data(**kwargs), "placeholder": f"{{{{ {key} }}}}"}

    def form_valid(self, form):
        attribute_label_set(
            owner_id=self.request.user.pk, key=self.kwargs["key"], label=form.cleaned_data["label"]
        )
        return super().form_valid(form)
