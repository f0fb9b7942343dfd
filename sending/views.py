from itertools import chain
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.http import require_POST

from content.forms import TestSendForm
from content.models import Message
from content.selectors import message_mailings, preview_clients
from senders.selectors import test_send_addresses
from workspace.access import WriteAccessMixin
from workspace.roles import OVERSEER_PERMISSION

from .forms import ResendForm
from .models import Attempt
from .services import TestSendLimited, attempt_resend, attempt_resume, message_test_send


def _attempt_for_owner(user, pk: int) -> Attempt:
    """Only the owner acts on a run: managers oversee read-only (403), strangers get 404."""
    if user.has_perm(OVERSEER_PERMISSION):
        raise PermissionDenied
    return get_object_or_404(Attempt.objects.select_related("mailing"), pk=pk, mailing__owner=user)


@method_decorator(require_POST, name="dispatch")
class AttemptResendView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        attempt = _attempt_for_owner(request.user, pk)
        form = ResendForm(request.POST)
        include_unknown = form.is_valid() and form.cleaned_data["include_unknown"]
        count = attempt_resend(attempt=attempt, include_unknown=include_unknown)
        if count:
            messages.success(
                request,
                ngettext(
                    "%(count)d recipient will get this run again in a moment.",
                    "%(count)d recipients will get this run again in a moment.",
                    count,
                )
                % {"count": count},
            )
        else:
            messages.info(request, _("There is nobody to send this run to again."))
        return redirect(attempt.mailing)


@method_decorator(require_POST, name="dispatch")
class AttemptResumeView(LoginRequiredMixin, View):
    """The owner resumes a run that paused itself for its bounces or complaints."""

    def post(self, request, pk: int):
        attempt = _attempt_for_owner(request.user, pk)
        if attempt_resume(attempt=attempt):
            messages.success(request, _("The run goes on sending."))
        else:
            messages.info(request, _("This run is not paused."))
        return redirect("mailings:run_detail", attempt.mailing_id, attempt.pk)


@method_decorator(require_POST, name="dispatch")
class MessageTestSendView(WriteAccessMixin, View):
    """One copy to the user's own address, as the preview showed it (its client and
    mailing), queued for the worker; not a run. Back to the preview as it was."""

    model = Message

    def post(self, request, pk: int):
        message = get_object_or_404(self.get_queryset(), pk=pk)
        form = TestSendForm(
            request.POST,
            addresses=test_send_addresses(request.user),
            clients=preview_clients(request.user, message),
            mailings=message_mailings(message),
        )
        if not form.is_valid():
            messages.error(request, " ".join(dict.fromkeys(chain(*form.errors.values()))))
        else:
            try:
                message_test_send(
                    message=message,
                    owner=request.user,
                    to=form.cleaned_data["to"],
                    client=form.cleaned_data["client"],
                    mailing=form.cleaned_data["mailing"],
                )
            except TestSendLimited:
                messages.error(
                    request, _("Too many test emails this minute: try again in a minute.")
                )
            else:
                messages.success(
                    request,
                    _("A test copy is on its way to %(address)s.")
                    % {"address": form.cleaned_data["to"]},
                )
        # The preview as it was: a client or mailing that failed its check is dropped.
        shown = {
            name: row.pk for name in ("client", "mailing") if (row := form.cleaned_data.get(name))
        }
        preview = reverse("mailings:message_preview", args=[message.pk])
        return redirect(f"{preview}?{urlencode(shown)}" if shown else preview)
