"""The pages of messages and of the images uploaded for them. A message's own page and
its preview (which lists its mailings and offers the engine's test send) are mailings'."""

from django.contrib import messages
from django.contrib.messages.views import SuccessMessageMixin
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import CreateView, DeleteView, DetailView, FormView, ListView, UpdateView

from workspace.access import InUseDeleteMixin, OwnerFormMixin, ReadAccessMixin, WriteAccessMixin
from workspace.views import ListControlsMixin

from .forms import MessageForm, MessageImageForm
from .models import Message, MessageImage
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
