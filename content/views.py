"""The pages of messages and of the images uploaded for them. A message's own page and
its preview (which lists its mailings and offers the engine's test send) are mailings'."""

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

from audience.models import Client
from senders.selectors import test_send_addresses
from workspace.access import InUseDeleteMixin, OwnerFormMixin, ReadAccessMixin, WriteAccessMixin
from workspace.roles import row_id, sees_everything
from workspace.views import ListControlsMixin

from .forms import MessageForm, MessageImageForm, TestSendForm
from .markup import describe
from .models import Message, MessageImage
from .renderer import Recipient, Renderer, preview_of
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
                Client.objects.visible_to(self.request.user).filter(owner_id=message.owner_id),
                pk=pk,
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
            "content/message_preview.html",
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
