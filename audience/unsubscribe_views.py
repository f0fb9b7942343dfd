"""The page every mailing email links to (`/unsubscribe/<token>/`, routed by
sending/urls.py, whose renderer makes the links): unsubscribe, one-click unsubscribe
(RFC 8058), take it back, and the preference centre's lists; and the sample page a
preview's link leads to."""

from django.http import Http404
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import translation
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

from senders.envelope import sender_of
from workspace.roles import row_id

from .limits import address_within_limit, visitor_of
from .models import Client
from .status import Reason, client_set_status
from .subscriptions import leave, memberships_of, rejoin
from .unsubscribe_tokens import unsubscribe_target

Status = Client.Status


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

    template_name = "audience/unsubscribe.html"

    def get_client(self) -> Client:
        target = unsubscribe_target(self.kwargs["token"])
        client = (
            Client.objects.select_related("owner").filter(pk=target[0]).first() if target else None
        )
        if client is None:
            raise Http404
        # A token from a mailing's email: the page speaks its language, names its sender.
        # Through the owner's own relation: the audience room does not import mailings.
        self.mailing = (
            client.owner.mailings.select_related("owner", "sender").filter(pk=target[1]).first()
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
            self.unsubscribe()
            return self.render_to_response(self.get_context_data(done=True))
        refused = CsrfViewMiddleware(lambda _request: None).process_view(request, None, (), {})
        if refused is not None:
            return refused
        action = request.POST.get("action")
        if action == "resubscribe":
            client_set_status(client=self.client, to=Status.ACTIVE, reason=Reason.RESUBSCRIBE)
            return self.render_to_response(self.get_context_data(resubscribed=True))
        if action in ("leave", "rejoin"):
            return self.list_choice(action, request.POST.get("list", ""))
        self.unsubscribe()
        return self.render_to_response(self.get_context_data(done=True))

    def unsubscribe(self) -> None:
        # Idempotent; a bounce or a complaint keeps its status (audience/status.py).
        client_set_status(client=self.client, to=Status.UNSUBSCRIBED, reason=Reason.UNSUBSCRIBE)

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

    template_name = "audience/unsubscribe.html"
    extra_context = {"sample": True}
