"""The page every mailing email links to (`/unsubscribe/<token>/`, routed by
sending/urls.py, whose renderer makes the links): unsubscribe, one-click unsubscribe
(RFC 8058), take it back, and the preference centre's lists; and the sample page a
preview's link leads to."""

from django.contrib import messages
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

from senders.envelope import sender_of
from workspace.roles import row_id

from .limits import address_within_limit, visitor_of
from .models import Client, Membership
from .recipient_pages import RecipientPageMixin, masthead_of
from .status import Reason, client_set_status
from .subscriptions import SignUp, leave, memberships_of, preferences_of, rejoin
from .unsubscribe_tokens import unsubscribe_target

Status = Client.Status
# The flash a choice leaves for the page it redirects to (messages framework, signed):
# "<what happened>:<list id>", marked so that no other page's message is taken for one.
NOTICE_TAG = "recipient-notice"
REJOIN_OUTCOMES = {outcome.value for outcome in SignUp}


@method_decorator([csrf_exempt, never_cache], name="dispatch")
class UnsubscribeView(RecipientPageMixin, TemplateView):
    """GET asks for confirmation (mail scanners open links); POST unsubscribes.

    Only the one-click unsubscribe of RFC 8058 (a mail provider posting
    `List-Unsubscribe=One-Click` straight to this address) goes without a CSRF token: the
    signed token in the URL authorises it. Every other choice on the page (unsubscribe,
    resubscribe, leave or rejoin a list) needs the page's own token, so another site
    cannot make a visitor's browser choose for them.

    The page is also the preference centre: the recipient sees the sender's lists they
    are on and may leave one (`action=leave`, `list=<id>`) or ask to join one again
    (`action=rejoin`: a confirmation email, as for a new sign-up).

    A choice made on the page redirects back to it (post/redirect/get): what the page
    then shows is read from the database, and a reload repeats nothing.
    """

    template_name = "audience/unsubscribe.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.target = unsubscribe_target(kwargs["token"])
        self.client = self.mailing = None
        if self.target is None:
            return
        client_id, mailing_id = self.target
        self.client = Client.objects.select_related("owner").filter(pk=client_id).first()
        if self.client is None:
            return
        if mailing_id:
            # A token from a mailing's email: the page speaks its language, names its
            # sender. Through the owner's own relation: the audience room does not import
            # mailings.
            self.mailing = (
                self.client.owner.mailings.select_related("owner", "sender")
                .filter(pk=mailing_id)
                .first()
            )
        self.sender_name, postal_address = self.sender_of_mailing()
        self.masthead = masthead_of(
            owner_id=self.client.owner_id, name=self.sender_name, postal_address=postal_address
        )

    def sender_of_mailing(self) -> tuple[str, str]:
        """The name and postal address the mailing's emails went out with ("" without)."""
        if self.mailing is None:
            return "", ""
        sender = sender_of(self.mailing)
        if sender is not None:
            return sender.name, sender.postal_address
        owner = self.mailing.owner
        return owner.get_full_name() or owner.email, ""

    def page_language(self) -> str:
        return self.mailing.language if self.mailing else super().page_language()

    def page_missing(self):
        """A token we signed whose client is no more (the account, or the client, was
        deleted) gets a page that says so: nothing will be sent to it again, and the
        recipient did nothing wrong. A token we did not sign gets the page that says the
        link was changed."""
        if self.client is not None:
            return None
        if self.target is None:
            return self.render_to_response({"invalid": True}, status=404)
        # A mail provider's one-click POST asks that nothing more be sent: so it is.
        one_click = self.request.POST.get("List-Unsubscribe") == "One-Click"
        return TemplateResponse(
            self.request, "audience/subscription_gone.html", status=200 if one_click else 410
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            client=self.client,
            sender_name=self.sender_name,
            memberships=preferences_of(self.client),
            **{**self.notice_context(), **kwargs},
        )

    def notice_context(self) -> dict:
        """What the choice just made left to say (nothing on a plain visit)."""
        notices = [
            message.message
            for message in messages.get_messages(self.request)
            if message.extra_tags == NOTICE_TAG
        ]
        kind, _sep, list_id = (notices[-1] if notices else "").partition(":")
        # Said only while still true: a bounce keeps an address that asked back out.
        if kind == "unsubscribed":
            return {"done": self.client.status != Status.ACTIVE}
        if kind == "resubscribed":
            return {"resubscribed": self.client.status == Status.ACTIVE}
        pk = row_id(list_id)
        membership = memberships_of(self.client).filter(mailing_list_id=pk).first() if pk else None
        if membership is None:
            return {}
        if kind == "left":
            left = membership.status == Membership.Status.UNSUBSCRIBED
            return {"left": membership.mailing_list} if left else {}
        if kind in REJOIN_OUTCOMES:
            return {"rejoined": membership.mailing_list, "rejoin_outcome": kind}
        return {}

    def post(self, request, *args, **kwargs):
        if request.POST.get("List-Unsubscribe") == "One-Click":
            # Answered in place: a mail provider wants a 2xx, not a redirect to follow.
            self.unsubscribe()
            return self.render_to_response(self.get_context_data(done=True))
        refused = CsrfViewMiddleware(lambda _request: None).process_view(request, None, (), {})
        if refused is not None:
            return refused
        action = request.POST.get("action")
        if action == "resubscribe":
            client_set_status(client=self.client, to=Status.ACTIVE, reason=Reason.RESUBSCRIBE)
            return self.back_to_page("resubscribed")
        if action in ("leave", "rejoin"):
            return self.list_choice(action, request.POST.get("list", ""))
        self.unsubscribe()
        return self.back_to_page("unsubscribed")

    def back_to_page(self, kind: str, list_id: int | None = None):
        notice = f"{kind}:{list_id}" if list_id else kind
        messages.info(self.request, notice, extra_tags=NOTICE_TAG)
        # The same address, token and query: the page reads what the choice changed.
        return redirect(self.request.get_full_path())

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
            return self.back_to_page("left", membership.mailing_list_id)
        if not address_within_limit(self.client.email):
            return self.render_to_response(self.get_context_data(too_many=True), status=429)
        outcome = rejoin(membership=membership, visitor=visitor_of(self.request))
        return self.back_to_page(outcome.value, membership.mailing_list_id)


@method_decorator(never_cache, name="dispatch")
class UnsubscribeSampleView(RecipientPageMixin, TemplateView):
    """Where a preview's or a test copy's unsubscribe link leads: it changes nothing."""

    template_name = "audience/unsubscribe.html"
    extra_context = {"sample": True}
