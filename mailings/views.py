import hashlib
import json

from csp.constants import NONE, SELF
from csp.decorators import csp
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.messages.views import SuccessMessageMixin
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Value
from django.db.models.functions import Coalesce, NullIf
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST
from django.views.generic import (
    CreateView,
    DeleteView,
    DetailView,
    FormView,
    ListView,
    UpdateView,
)

from audience.attributes import known_attribute_keys
from audience.forms import BulkActionForm
from audience.models import Client
from audience.selectors import AudienceFilter, client_memberships, lists_visible_to, tags_visible_to
from audience.suppressions import suppression_notice
from sending.content import Recipient, Renderer, preview_of
from sending.models import Delivery
from sending.services import TestSendLimited, message_test_send, test_send_addresses
from workspace.access import InUseDeleteMixin, OwnerFormMixin, ReadAccessMixin, WriteAccessMixin
from workspace.roles import row_id, sees_everything
from workspace.search import search_q, search_text
from workspace.views import ListControlsMixin

from .csv_files import clients_csv_lines
from .forms import (
    ClientForm,
    ClientImportForm,
    MailingForm,
    MailingTargetsForm,
    MessageForm,
    MessageImageForm,
    TestSendForm,
    client_label,
)
from .imports import client_import_create, client_import_progress
from .lifecycle import (
    SendNowRefused,
    disable_refusal,
    mailing_disable,
    mailing_duplicate,
    mailing_schedule,
    mailing_send_now,
    send_now_plan,
    send_now_refusal,
)
from .models import ClientImport, Mailing, Message, MessageImage
from .selectors import (
    clients_visible_to,
    mailing_count_of_client,
    mailing_last_finished_run,
    mailing_recipient_counts,
    mailing_recipient_sample,
    mailings_visible_to,
    mailings_with_recipient_counts,
)
from .services import message_duplicate, message_image_create

RECIPIENT_COUNT_SECONDS = 60
# Lists and tags offered in the client list's filter.
FILTER_CHOICES = 200


# Clients


class ClientListView(ListControlsMixin, ReadAccessMixin, ListView):
    model = Client
    # The client pages are still here while Client lives in audience.
    template_name = "mailings/client_list.html"
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
    template_name = "mailings/client_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("owner")

    def get_context_data(self, **kwargs):
        client = self.object
        return {
            **super().get_context_data(**kwargs),
            "memberships": client_memberships(client),
            "tags": client.tags.order_by("name"),
            "client_mailings": mailings_with_recipient_counts(client.mailings.all())[:20],
            "deliveries": Delivery.objects.filter(client=client)
            .select_related("attempt__mailing__message")
            .order_by("-attempt__started_at")[:10],
        }


class ClientFormMixin(OwnerFormMixin, SuccessMessageMixin):
    model = Client
    template_name = "mailings/client_form.html"
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
    template_name = "mailings/client_confirm_delete.html"
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
    """The upload is stored and imported by a worker: a large file takes longer than a
    request may, so the answer is at once a page that follows the import."""

    model = Client
    form_class = ClientImportForm
    template_name = "mailings/client_import.html"

    def get_context_data(self, **kwargs):
        recent = ClientImport.objects.owned_by(self.request.user).defer("data", "errors")
        return {**super().get_context_data(**kwargs), "recent_imports": recent[:5]}

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        job = client_import_create(
            owner=self.request.user, data=upload.read(), file_name=upload.name
        )
        return redirect(job)


class ClientImportDetailView(ReadAccessMixin, DetailView):
    model = ClientImport
    template_name = "mailings/client_import_result.html"
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


# Messages


class MessageListView(ListControlsMixin, ReadAccessMixin, ListView):
    model = Message
    search_fields = ("subject", "body")
    sort_fields = {
        "subject": "subject",
        "updated": "updated_at",
        "mailings": "mailing_count",
        "owner": "owner__email",
    }
    default_sort = "-updated"

    def get_queryset(self):
        return (
            super().get_queryset().select_related("owner").annotate(mailing_count=Count("mailings"))
        )


class MessageDetailView(ReadAccessMixin, DetailView):
    model = Message

    def get_queryset(self):
        return super().get_queryset().select_related("owner")

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "message_mailings": mailings_with_recipient_counts(self.object.mailings.all()),
            "attachments": self.object.attachments.defer("data"),
        }


class MessagePreviewMixin(ReadAccessMixin):
    """The message as one client gets it (?client=<id>, one the viewer may see and the
    message's owner owns), or as a sample recipient without one; rendered by the
    engine's own Renderer and read back from the email's bytes."""

    model = Message

    def get_preview(self):
        message = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        client = None
        client_id = self.request.GET.get("client", "")
        if client_id:
            if (pk := row_id(client_id)) is None:
                raise Http404
            client = get_object_or_404(
                clients_visible_to(self.request.user).filter(owner_id=message.owner_id), pk=pk
            )
        if client is None:
            recipient = Recipient(
                delivery_id=0,
                client_id=0,
                email="recipient@example.com",
                full_name=gettext("Anna Smirnova"),
            )
        else:
            recipient = Recipient(
                delivery_id=0,
                client_id=client.pk,
                email=client.email,
                full_name=client.full_name,
                attributes=client.attributes,
            )
        mailing = message.mailings.select_related("owner").order_by("-created_at").first()
        preview = preview_of(Renderer.for_message(message, mailing=mailing), recipient)
        return message, client, preview


class MessagePreviewView(MessagePreviewMixin, View):
    def get(self, request, pk: int):
        message, client, preview = self.get_preview()
        return TemplateResponse(
            request,
            "mailings/message_preview.html",
            {
                "message": message,
                "client": client,
                "preview": preview,
                "email_url": reverse("mailings:message_preview_email", args=[message.pk])
                + (f"?client={client.pk}" if client else ""),
                "oversight": sees_everything(request.user),
                "client_choices": Client.objects.owned_by(message.owner_id).order_by("email")[:100],
                "test_form": TestSendForm(addresses=test_send_addresses(request.user)),
            },
        )


# The email's HTML alone, for the preview's frames: a document that may run nothing,
# load nothing but images, submit nothing, and be framed by our own pages only.
@method_decorator(xframe_options_sameorigin, name="dispatch")
@method_decorator(
    csp(
        {
            "default-src": [NONE],
            "img-src": ["https:", "http:", "data:"],
            "style-src": ["'unsafe-inline'"],
            "form-action": [NONE],
            "base-uri": [NONE],
            "frame-ancestors": [SELF],
            "sandbox": True,
        }
    ),
    name="dispatch",
)
class MessagePreviewEmailView(MessagePreviewMixin, View):
    def get(self, request, pk: int):
        _message, _client, preview = self.get_preview()
        return HttpResponse(preview.html, content_type="text/html; charset=utf-8")


@method_decorator(require_POST, name="dispatch")
class MessageTestSendView(WriteAccessMixin, View):
    """One copy to the user's own address, queued for the worker; not a run."""

    model = Message

    def post(self, request, pk: int):
        message = get_object_or_404(self.get_queryset(), pk=pk)
        form = TestSendForm(request.POST, addresses=test_send_addresses(request.user))
        if not form.is_valid():
            messages.error(request, gettext("Choose one of your own addresses for the test."))
        else:
            try:
                message_test_send(message=message, owner=request.user, to=form.cleaned_data["to"])
            except TestSendLimited:
                messages.error(
                    request, gettext("Too many test emails this minute: try again in a minute.")
                )
            else:
                messages.success(
                    request,
                    gettext("A test copy is on its way to %(address)s.")
                    % {"address": form.cleaned_data["to"]},
                )
        return redirect("mailings:message_preview", message.pk)


class MessageFormMixin(OwnerFormMixin, SuccessMessageMixin):
    model = Message
    form_class = MessageForm
    success_message = _("Message “%(subject)s” has been saved.")


class MessageCreateView(MessageFormMixin, CreateView):
    pass


class MessageUpdateView(MessageFormMixin, UpdateView):
    pass


@method_decorator(require_POST, name="dispatch")
class MessageDuplicateView(WriteAccessMixin, View):
    model = Message

    def post(self, request, pk: int):
        copy = message_duplicate(message=get_object_or_404(self.get_queryset(), pk=pk))
        messages.success(request, gettext("This is a copy of the message: change it and save."))
        return redirect("mailings:message_update", copy.pk)


@method_decorator(require_POST, name="dispatch")
class MessageAttachmentDeleteView(WriteAccessMixin, View):
    model = Message

    def post(self, request, pk: int, attachment_id: int):
        message = get_object_or_404(self.get_queryset(), pk=pk)
        attachment = get_object_or_404(message.attachments, pk=attachment_id)
        attachment.delete()
        messages.success(
            request, gettext("“%(name)s” is no longer attached.") % {"name": attachment.name}
        )
        return redirect(message)


class MessageDeleteView(InUseDeleteMixin, WriteAccessMixin, SuccessMessageMixin, DeleteView):
    model = Message
    success_url = reverse_lazy("mailings:message_list")
    success_message = _("The message has been deleted.")
    in_use_message = _(
        "This message is used by the mailings listed below, so it cannot be "
        "deleted. Delete those mailings or give them another message first."
    )


# Images for messages


class MessageImageListView(ReadAccessMixin, ListView):
    model = MessageImage
    paginate_by = 24

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "form": MessageImageForm()}


class MessageImageCreateView(WriteAccessMixin, FormView):
    model = MessageImage
    form_class = MessageImageForm
    template_name = "mailings/messageimage_list.html"

    def get_context_data(self, **kwargs):
        # The list page shows the form again with its error.
        images = self.get_queryset()
        return {
            **super().get_context_data(**kwargs),
            "object_list": images[: MessageImageListView.paginate_by],
            "oversight": False,
        }

    def form_valid(self, form):
        picture = message_image_create(owner=self.request.user, upload=form.cleaned_data["image"])
        messages.success(
            self.request, gettext("The image is uploaded: paste its Markdown into a message.")
        )
        return redirect(picture)


class MessageImageDetailView(ReadAccessMixin, DetailView):
    model = MessageImage


class MessageImageDeleteView(WriteAccessMixin, SuccessMessageMixin, DeleteView):
    model = MessageImage
    success_url = reverse_lazy("mailings:message_image_list")
    success_message = _("The image has been deleted; emails already sent no longer show it.")


# Mailings


class MailingListView(ListControlsMixin, ReadAccessMixin, ListView):
    model = Mailing
    search_fields = ("name", "message__subject")
    sort_fields = {
        "subject": "title_sort",
        "status": "status",
        "start": "start_at",
        "next": "next_run_at",
        "recipients": "recipient_count",
        "owner": "owner__email",
        "created": "created_at",
    }
    default_sort = "-created"

    def get_queryset(self):
        mailings = mailings_with_recipient_counts(super().get_queryset())
        mailings = mailings.annotate(
            title_sort=Coalesce(NullIf("name", Value("")), "message__subject")
        )
        self.status = self.request.GET.get("status", "")
        if self.status in Mailing.Status.values:
            mailings = mailings.filter(status=self.status)
        else:
            self.status = ""
        self.owner = None
        owner_id = row_id(self.request.GET.get("owner", ""))
        if sees_everything(self.request.user) and owner_id is not None:
            self.owner = get_user_model().objects.filter(pk=owner_id).only("pk", "email").first()
            if self.owner:
                mailings = mailings.filter(owner=self.owner)
        return mailings

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "status": self.status,
            "statuses": Mailing.Status.choices,
            "owner": self.owner,
        }


class MailingDetailView(ReadAccessMixin, DetailView):
    model = Mailing
    attempts_per_page = 20

    def get_queryset(self):
        return super().get_queryset().select_related("message", "owner", "sender", "segment")

    def get_context_data(self, **kwargs):
        mailing = self.object
        attempts = Paginator(
            mailing.attempts.order_by("-started_at", "-pk"), self.attempts_per_page
        )
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            "recipients": mailing_recipient_counts(mailing),
            "feedback": mailing.attempts.feedback_figures(),
            "recipient_sample": mailing_recipient_sample(mailing),
            "attempts_page": attempts.get_page(self.request.GET.get("page")),
            "is_owner": mailing.owner_id == user.pk,
            "last_run": mailing_last_finished_run(mailing),
            "can_send": send_now_refusal(mailing=mailing) is None,
            "send_plan": send_now_plan(mailing=mailing),
            # A completed mailing runs no more: there is nothing left to disable.
            "can_disable": disable_refusal(mailing=mailing) is None
            and (mailing.owner_id == user.pk or user.has_perm("mailings.disable_mailing")),
        }


class MailingFormMixin(OwnerFormMixin, SuccessMessageMixin):
    model = Mailing
    form_class = MailingForm

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            # The lifecycle decides status and next run; a due first run is queued on commit.
            mailing_schedule(mailing=self.object)
        return response


@method_decorator(never_cache, name="dispatch")
class MailingRecipientCountView(WriteAccessMixin, View):
    """The recipient count the mailing form shows before saving: its targets in the query
    string → {"count": n}, or {"errors": {field: [...]}}. Cached a minute per question:
    counting a million clients is worth doing once, not on every keystroke."""

    model = Mailing

    def get(self, request):
        digest = hashlib.sha256(
            json.dumps(sorted(request.GET.lists()), ensure_ascii=False).encode()
        ).hexdigest()
        key = f"mailing-recipient-count:{request.user.pk}:{get_language()}:{digest}"
        answer = cache.get(key)
        if answer is None:
            form = MailingTargetsForm(request.GET, owner=request.user)
            if not form.is_valid():
                answer = {"errors": {name: list(errors) for name, errors in form.errors.items()}}
            else:
                try:
                    answer = {"count": form.recipient_count()}
                except ValidationError as error:
                    answer = {"errors": {"segment": error.messages}}
            cache.set(key, answer, RECIPIENT_COUNT_SECONDS)
        return JsonResponse(answer)


class MailingCreateView(MailingFormMixin, CreateView):
    success_message = _("The mailing has been created.")

    def get_initial(self):
        # "Use in a mailing" on a message page preselects it; the form checks ownership.
        return {**super().get_initial(), "message": self.request.GET.get("message")}


class MailingUpdateView(MailingFormMixin, UpdateView):
    success_message = _("The mailing has been saved.")


@method_decorator(require_POST, name="dispatch")
class MailingDuplicateView(WriteAccessMixin, View):
    """The copy is a draft: it starts nowhere until saved here with its start time."""

    model = Mailing

    def post(self, request, pk: int):
        original = get_object_or_404(self.get_queryset().select_related("message"), pk=pk)
        copy = mailing_duplicate(mailing=original)
        messages.success(
            request,
            gettext(
                "This is a draft copy: it does not run until you check its first send and save it."
            ),
        )
        return redirect("mailings:mailing_update", copy.pk)


class MailingDeleteView(WriteAccessMixin, SuccessMessageMixin, DeleteView):
    model = Mailing
    success_url = reverse_lazy("mailings:mailing_list")
    success_message = _("The mailing has been deleted.")

    def get_queryset(self):
        return super().get_queryset().select_related("message")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "attempt_count": self.object.attempts.count()}


@method_decorator(require_POST, name="dispatch")
class MailingSendView(WriteAccessMixin, View):
    """Send now: the request only records the wish; a worker sends.

    When an earlier run reached people, sending again reaches them again: the first
    POST answers with a page saying how many already got it, and only a POST with
    `confirm` from that page queues the run.
    """

    model = Mailing

    def post(self, request, pk: int):
        mailing = get_object_or_404(self.get_queryset().select_related("message", "owner"), pk=pk)
        refusal = send_now_refusal(mailing=mailing)
        if refusal is not None:
            # Asked for already (another press, another tab): news, not a mistake.
            unusable = mailing.status in (Mailing.Status.DISABLED, Mailing.Status.DRAFT)
            (messages.error if unusable else messages.info)(request, refusal)
            return redirect(mailing)
        last_run = mailing_last_finished_run(mailing)
        plan = send_now_plan(mailing=mailing)
        if last_run is not None and last_run.sent_count and not request.POST.get("confirm"):
            return TemplateResponse(
                request,
                "mailings/mailing_send_confirm.html",
                {
                    "mailing": mailing,
                    "last_run": last_run,
                    "plan": plan,
                    "recipients": mailing_recipient_counts(mailing),
                },
            )
        try:
            queued = mailing_send_now(mailing=mailing)
        except SendNowRefused as refusal:
            messages.info(request, str(refusal))
        else:
            messages.success(request, gettext("The mailing is queued and will go out in a moment."))
            messages.info(request, queued.describe())
        return redirect(mailing)


@method_decorator(require_POST, name="dispatch")
class MailingDisableView(LoginRequiredMixin, View):
    """The owner may stop their own mailing; a manager may stop anyone's."""

    def post(self, request, pk: int):
        mailings = (
            Mailing.objects.all()
            if request.user.has_perm("mailings.disable_mailing")
            else Mailing.objects.owned_by(request.user)
        )
        mailing = get_object_or_404(mailings, pk=pk)
        refusal = disable_refusal(mailing=mailing)
        if refusal is not None:
            messages.info(request, refusal)
        else:
            mailing_disable(mailing=mailing)
            messages.success(request, gettext("The mailing has been disabled."))
        return HttpResponseRedirect(
            mailing.get_absolute_url()
            if mailings_visible_to(request.user).filter(pk=pk).exists()
            else reverse("mailings:mailing_list")
        )
