"""The public side of a list: its subscription form (hosted, and the target of the
snippet embedded on the owner's site), the ALTCHA challenge, and the confirmation link.
Every page speaks the list's language, unless the visitor picked another with the page's
switch, and names the list's sender, not the platform (recipient_pages.py)."""

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

from .captcha import captcha_required, challenge_new
from .limits import address_within_limit, visitor_of, visitor_within_limit
from .models import MailingList
from .recipient_pages import RecipientPageMixin, masthead_of
from .subscription_forms import SubscribeForm
from .subscriptions import (
    LinkExpired,
    LinkInvalid,
    LinkUsed,
    confirm,
    consent_for_link,
    link_outlived,
    list_sender,
    subscribe,
)


def public_lists():
    # A blocked owner's forms are gone (404), as if the lists were deleted.
    return MailingList.objects.filter(owner__is_active=True)


class PublicListMixin(RecipientPageMixin):
    """Finds the list by its public token, renders in its language (unless the visitor
    chose another) under its sender's brand."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.mailing_list = (
            public_lists().select_related("owner").filter(token=kwargs["token"]).first()
        )
        if self.mailing_list is not None:
            self.sender = list_sender(self.mailing_list)
            self.masthead = masthead_of(
                owner_id=self.mailing_list.owner_id,
                name=self.sender.name,
                postal_address=self.sender.postal_address,
            )

    def page_missing(self):
        # No such list (deleted, or its owner blocked): the visitor came by the sender's
        # form or link, so the answer is theirs too, not the platform's 404 page.
        if self.mailing_list is None:
            return TemplateResponse(
                self.request, "audience/subscription_gone.html", {"form_gone": True}, status=404
            )
        return None

    def page_language(self) -> str:
        return self.mailing_list.language if self.mailing_list else super().page_language()

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "mailing_list": self.mailing_list,
            "sender": self.sender,
        }


# Exempt from CSRF on purpose: the form is embedded on the owner's own site, so its POST
# comes from another origin, without our cookie or token. Nothing here acts for a
# signed-in user (the usual CSRF victim); the risks of an open form are bots and floods,
# met by the honeypot, the per-address and per-email limits, the optional proof of work
# and double opt-in (a stranger's address is never mailed more than once per window).
@method_decorator([csrf_exempt, never_cache], name="dispatch")
class SubscribeView(PublicListMixin, TemplateView):
    template_name = "audience/subscribe.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", SubscribeForm(captcha=self.captcha))
        return context

    @property
    def captcha(self) -> bool:
        return captcha_required(self.mailing_list)

    def post(self, request, *args, **kwargs):
        if not visitor_within_limit(request):
            return self.too_many()
        form = SubscribeForm(request.POST, captcha=self.captcha)
        if form.is_bot:
            # Looks accepted, so the bot learns nothing; nothing is stored or sent.
            return self.received(request.POST.get("email", "")[:254])
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        email = form.cleaned_data["email"]
        if not address_within_limit(email):
            return self.too_many()
        subscribe(
            mailing_list=self.mailing_list,
            email=email,
            full_name=form.cleaned_data["full_name"],
            visitor=visitor_of(request),
        )
        return self.received(email)

    def received(self, email: str):
        # The same page for a new, a waiting, a subscribed and a suppressed address: what
        # happened is the mailbox holder's to learn, from the email (or its absence).
        return self.render_to_response(self.get_context_data(outcome="received", email=email))

    def too_many(self):
        response = self.render_to_response(self.get_context_data(too_many=True), status=429)
        # The counters' window: an upper bound of the wait.
        response["Retry-After"] = str(settings.SUBSCRIBE_LIMIT_WINDOW)
        return response


@method_decorator(never_cache, name="dispatch")
class ChallengeView(View):
    """A fresh ALTCHA challenge for the list's widget (JSON)."""

    def get(self, request, token: str):
        mailing_list = get_object_or_404(public_lists(), token=token)
        if not captcha_required(mailing_list):
            raise Http404
        return JsonResponse(challenge_new())


@method_decorator(never_cache, name="dispatch")
class ConfirmView(PublicListMixin, TemplateView):
    """The link in the confirmation email: GET asks (mail scanners open links), POST
    confirms. A link that is not ours or not this list's is 404; an expired or used one
    is 400, each with a page that says what to do."""

    template_name = "audience/subscribe_confirm.html"

    def get(self, request, *args, **kwargs):
        try:
            self.consent = consent_for_link(mailing_list=self.mailing_list, token=kwargs["link"])
        except LinkInvalid:
            return self.problem_page("invalid", 404)
        except LinkExpired:
            return self.problem_page("expired", 400)
        if self.consent.confirmed_at is not None:
            return self.problem_page("used", 400)
        return self.render_to_response(self.get_context_data(email=self.consent.client.email))

    def post(self, request, *args, **kwargs):
        response = self.get(request, *args, **kwargs)
        if response.status_code != 200:
            return response
        try:
            client = confirm(consent=self.consent)
        except LinkUsed:
            return self.problem_page("used", 400)
        return self.render_to_response(self.get_context_data(done=True, email=client.email))

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "days": settings.SUBSCRIBE_CONFIRM_DAYS}

    def page_missing(self):
        # A link we made for a list deleted since (with its account, perhaps): the
        # subscription is gone, not the visitor's mistake. A blocked owner's list still
        # exists: 404, as for its form.
        if self.mailing_list is not None:
            return None
        if not link_outlived(self.kwargs["link"]):
            return TemplateResponse(
                self.request, self.template_name, {"problem": "invalid"}, status=404
            )
        return TemplateResponse(self.request, "audience/subscription_gone.html", status=410)

    def problem_page(self, problem: str, status: int):
        return self.render_to_response(self.get_context_data(problem=problem), status=status)
