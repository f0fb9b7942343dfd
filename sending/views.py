from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.http import require_POST

from workspace.roles import OVERSEER_PERMISSION

from .forms import ResendForm
from .models import Attempt
from .services import attempt_resend, attempt_resume


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
