import hashlib
import json

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.messages.views import SuccessMessageMixin
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce, NullIf
from django.http import (
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.generic import CreateView, DeleteView, DetailView, ListView, UpdateView

from audience.models import Client, MailingList
from content.models import Message
from workspace.access import OwnerFormMixin, ReadAccessMixin, WriteAccessMixin
from workspace.roles import row_id, sees_everything
from workspace.views import ListControlsMixin

from .forms import SEND_NOW, MailingForm, MailingTargetsForm
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
from .models import Mailing
from .selectors import (
    mailing_last_finished_run,
    mailing_recipient_counts,
    mailing_recipient_sample,
    mailings_visible_to,
    mailings_with_recipient_counts,
)

RECIPIENT_COUNT_SECONDS = 60


# Messages


class MessageDetailView(ReadAccessMixin, DetailView):
    model = Message
    # Named: Message's app label is content now; this page, listing mailings, is ours.
    template_name = "mailings/message_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("owner")

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "message_mailings": mailings_with_recipient_counts(self.object.mailings.all()),
            "attachments": self.object.attachments.defer("data"),
        }


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
            if form.sends_now:
                # Its one run, asked for as the "Send now" button does (once, on commit).
                mailing_send_now(mailing=self.object)
            else:
                # The lifecycle decides status and next run; a due first run is queued
                # on commit.
                mailing_schedule(mailing=self.object)
        return response

    def get_success_message(self, cleaned_data):
        if cleaned_data.get("when") == SEND_NOW:
            return gettext("The mailing is queued and will go out in a moment.")
        return super().get_success_message(cleaned_data)


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

    def get_context_data(self, **kwargs):
        # Without a message, or anyone to send to, the form cannot be saved: the page
        # says what is missing and where to make it instead of showing it.
        owner = self.request.user
        has_message = Message.objects.owned_by(owner).exists()
        has_audience = (
            Client.objects.owned_by(owner).exists() or MailingList.objects.owned_by(owner).exists()
        )
        return {
            **super().get_context_data(**kwargs),
            "prerequisites": None
            if has_message and has_audience
            else {"message": has_message, "audience": has_audience},
        }

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
