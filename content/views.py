"""The pages of messages and of the images uploaded for them. A message's own page and
its preview (which lists its mailings and offers the engine's test send) are mailings'."""

from urllib.parse import urlencode

from csp.constants import NONE, SELF
from csp.decorators import csp
from django.contrib import messages
from django.contrib.messages.views import SuccessMessageMixin
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST
from django.views.generic import CreateView, DeleteView, DetailView, FormView, ListView, UpdateView

from senders.envelope import sender_of
from senders.selectors import default_sender, test_send_addresses
from workspace.access import InUseDeleteMixin, OwnerFormMixin, ReadAccessMixin, WriteAccessMixin
from workspace.roles import row_id, sees_everything
from workspace.search import search_text
from workspace.views import ListControlsMixin

from .forms import MessageForm, MessageImageForm, TestSendForm
from .markup import describe
from .models import Message, MessageImage
from .renderer import Renderer, preview_of, recipient_as
from .selectors import message_mailings, preview_clients, preview_clients_matching
from .services import message_duplicate, message_image_create

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


class MessageFormMixin(OwnerFormMixin, SuccessMessageMixin):
    model = Message
    form_class = MessageForm
    success_message = _("Message “%(subject)s” has been saved.")

    def form_valid(self, form):
        response = super().form_valid(form)
        if form.removed:
            messages.warning(
                self.request,
                gettext(
                    "Taken out as unsafe or not shown by mail clients: %(removed)s. The rest "
                    "of the design is kept."
                )
                % {"removed": describe(form.removed)},
            )
        if form.merge_tags:
            messages.warning(
                self.request,
                gettext(
                    "Another service's merge tags go out as typed: %(tags)s. Use "
                    "placeholders such as {{ full_name }} and {{ email }} instead; every "
                    "email carries its own unsubscribe link."
                )
                % {"tags": ", ".join(form.merge_tags)},
            )
        return response


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
    template_name = "content/messageimage_list.html"

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


class MessagePreviewMixin(ReadAccessMixin):
    """The message as one client gets it (?client=<id>, one the viewer may see and the
    message's owner owns), or as a sample recipient without one; as one of its mailings
    sends it (?mailing=<id>: its sender and language), or without one from the owner's
    default sender. Rendered by the engine's own Renderer and read back from the email's
    bytes; the test send (sending.views) sends exactly this email."""

    model = Message

    def get_preview(self):
        message = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        client = self.chosen("client", preview_clients(self.request.user, message))
        mailing = self.chosen("mailing", message_mailings(message))
        preview = preview_of(Renderer.for_message(message, mailing=mailing), recipient_as(client))
        return message, client, mailing, preview

    def chosen(self, name: str, queryset):
        """The row ?<name>=<id> picks from `queryset`; None without one; 404 for any other
        value, whether no such row exists or the viewer may not see it."""
        raw = self.request.GET.get(name, "")
        if not raw:
            return None
        if (pk := row_id(raw)) is None:
            raise Http404
        return get_object_or_404(queryset, pk=pk)


class MessagePreviewView(MessagePreviewMixin, View):
    def get(self, request, pk: int):
        message, client, mailing, preview = self.get_preview()
        query = request.GET.get("q", "")
        shown = {name: row.pk for name, row in (("client", client), ("mailing", mailing)) if row}
        sender = sender_of(mailing) if mailing else default_sender(message.owner_id)
        return TemplateResponse(
            request,
            "content/message_preview.html",
            {
                "message": message,
                "client": client,
                "mailing": mailing,
                "preview": preview,
                "email_url": reverse("mailings:message_preview_email", args=[message.pk])
                + (f"?{urlencode(shown)}" if shown else ""),
                "oversight": sees_everything(request.user),
                # The platform's address stands in: the page says why.
                "platform_sender": sender is None,
                "query": search_text(query),
                "matches": preview_clients_matching(request.user, message, query),
                "mailing_choices": message_mailings(message).order_by("-created_at")[:50],
                "test_form": TestSendForm(
                    initial=shown,
                    addresses=test_send_addresses(request.user),
                    clients=preview_clients(request.user, message),
                    mailings=message_mailings(message),
                ),
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
        _message, _client, _mailing, preview = self.get_preview()
        return HttpResponse(preview.html, content_type="text/html; charset=utf-8")
