from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from audience.limits import address_within_limit, visitor_of
from audience.models import Client
from audience.subscriptions import leave, memberships_of, rejoin
from mailings.models import Mailing
from senders.envelope import sender_of
from workspace.roles import OVERSEER_PERMISSION, row_id

from .content import unsubscribe_target
from .forms import ResendForm
from .models import Attempt
from .services import attempt_resend, attempt_resume, client_resubscribe, client_unsubscribe


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


@method_decorator([csrf_exempt, never_cache], name="dispatch")
class UnsubscribeView(TemplateView):
    """GET asks for confirmation (mail scanners open links); POST unsubscribes.

    Only the one-click unsubscribe of RFC 8058 (a mail provider posting
    `List-Unsubscribe=One-Click` straight to this address) goes without a CSRF token: the
    signed token in the URL authorises it. Every other choice on the page (unsubscribe,
    resubscribe, leave or rejoin a list) needs the page's own token, so another site
    cannot make a visitor's browser choose for them.

    The page is also the preference centre: the recipient sees the sender's lists they
    are on and may leave one (`action=leave`, `list=<id>`) or ask to join one again
    (`action=rejoin`: a confirmation email, as for a new sign-up).
    """

    template_name = "sending/unsubscribe.html"

    def get_client(self) -> Client:
        target = unsubscribe_target(self.kwargs["token"])
        client = Client.objects.filter(pk=target[0]).first() if target else None
        if client is None:
            raise Http404
        # A token from a mailing's email: the page speaks its language, names its sender.
        self.mailing = (
            Mailing.objects.select_related("owner", "sender")
            .filter(pk=target[1], owner_id=client.owner_id)
            .first()
            if target[1]
            else None
        )
        return client

    def dispatch(self, request, *args, **kwargs):
        self.mailing = None
        try:
            self.client = self.get_client()
        except Http404:
            return self.render_to_response({"invalid": True}, status=404)
        language = self.mailing.language if self.mailing else translation.get_language()
        with translation.override(language):
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
        return response

    def get_context_data(self, **kwargs):
        sender_name, postal_address = "", ""
        if self.mailing is not None:
            sender = sender_of(self.mailing)
            owner = self.mailing.owner
            sender_name = sender.name if sender else (owner.get_full_name() or owner.email)
            postal_address = sender.postal_address if sender else ""
        return {
            **super().get_context_data(**kwargs),
            "client": self.client,
            "sender_name": sender_name,
            "postal_address": postal_address,
            "memberships": memberships_of(self.client),
        }

    def post(self, request, *args, **kwargs):
        if request.POST.get("List-Unsubscribe") == "One-Click":
            client_unsubscribe(client=self.client)
            return self.render_to_response(self.get_context_data(done=True))
        refused = CsrfViewMiddleware(lambda _request: None).process_view(request, None, (), {})
        if refused is not None:
            return refused
        action = request.POST.get("action")
        if action == "resubscribe":
            client_resubscribe(client=self.client)
            return self.render_to_response(self.get_context_data(resubscribed=True))
        if action in ("leave", "rejoin"):
            return self.list_choice(action, request.POST.get("list", ""))
        client_unsubscribe(client=self.client)
        return self.render_to_response(self.get_context_data(done=True))

    def list_choice(self, action: str, list_id: str):
        pk = row_id(list_id)
        membership = memberships_of(self.client).filter(mailing_list_id=pk).first() if pk else None
        if membership is None:
            return self.render_to_response(self.get_context_data(no_such_list=True), status=404)
        if action == "leave":
            leave(membership=membership)
            return self.render_to_response(self.get_context_data(left=membership.mailing_list))
        if not address_within_limit(self.client.email):
            return self.render_to_response(self.get_context_data(too_many=True), status=429)
        outcome = rejoin(membership=membership, visitor=visitor_of(self.request))
        return self.render_to_response(
            self.get_context_data(rejoined=membership.mailing_list, rejoin_outcome=outcome.value)
        )


@method_decorator(never_cache, name="dispatch")
class UnsubscribeSampleView(TemplateView):
    """Where a preview's or a test copy's unsubscribe link leads: it changes nothing."""

    template_name = "sending/unsubscribe.html"
    extra_context = {"sample": True}
