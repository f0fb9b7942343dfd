from django.contrib import messages
from django.contrib.messages.views import SuccessMessageMixin
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.generic import CreateView, DeleteView, DetailView, FormView, ListView, UpdateView
from django.views.generic.base import TemplateView

from workspace.access import OwnerFormMixin, ReadAccessMixin, WriteAccessMixin
from workspace.roles import sees_everything

from .dns_checks import KIND_LABELS, STATE_LABELS, WRONG, records_for, spf_merged
from .forms import BrandForm, DomainForm, RelayForm, SenderForm
from .keys import KeyUnusable
from .models import Brand, Domain, Relay, Sender
from .relays import RELAY_KEY_LOST, relay_check, relay_save, relay_test
from .selectors import domains_visible_to, senders_visible_to
from .services import (
    ConfirmationLimited,
    domain_add,
    domain_check,
    sender_confirm,
    sender_confirmation_send,
    sender_from_token,
)


def confirmation_send(request, sender: Sender) -> None:
    try:
        sender_confirmation_send(sender=sender)
    except ConfirmationLimited:
        messages.warning(
            request,
            gettext(
                "Enough confirmation emails went to %(email)s for now: open the link in "
                "one of them, or ask for another later."
            )
            % {"email": sender.email},
        )
        return
    messages.info(
        request, gettext("We sent a confirmation link to %(email)s.") % {"email": sender.email}
    )


class SenderReadMixin(ReadAccessMixin):
    model = Sender

    def get_queryset(self):
        return senders_visible_to(self.request.user).select_related("owner")


class DomainReadMixin(ReadAccessMixin):
    model = Domain

    def get_queryset(self):
        return domains_visible_to(self.request.user).select_related("owner")


# Senders


class SenderListView(SenderReadMixin, ListView):
    def get_context_data(self, **kwargs):
        usable = set()
        if not sees_everything(self.request.user):
            usable = set(Sender.objects.usable_by(self.request.user).values_list("pk", flat=True))
        return {**super().get_context_data(**kwargs), "usable_ids": usable}


class SenderDetailView(SenderReadMixin, DetailView):
    pass


class SenderFormMixin(OwnerFormMixin, SuccessMessageMixin):
    model = Sender
    form_class = SenderForm

    def form_valid(self, form):
        owner = self.request.user
        try:
            with transaction.atomic():
                first = not Sender.objects.owned_by(owner).exclude(pk=form.instance.pk).exists()
                if form.cleaned_data.get("is_default") or first:
                    Sender.objects.owned_by(owner).filter(is_default=True).exclude(
                        pk=form.instance.pk
                    ).update(is_default=False)
                    form.instance.is_default = True
                response = super().form_valid(form)
        except IntegrityError:
            form.add_error("email", gettext("You already have a sender with this address."))
            return self.form_invalid(form)
        sender = self.object
        if sender.is_usable:
            if "email" in form.changed_data:
                messages.info(self.request, gettext("Its domain is verified: usable at once."))
        elif sender.confirmed_at is None:
            confirmation_send(self.request, sender)
        return response


class SenderCreateView(SenderFormMixin, CreateView):
    success_message = _("Sender %(email)s has been added.")


class SenderUpdateView(SenderFormMixin, UpdateView):
    success_message = _("Sender %(email)s has been saved.")


class SenderDeleteView(WriteAccessMixin, SuccessMessageMixin, DeleteView):
    model = Sender
    success_url = reverse_lazy("senders:sender_list")
    success_message = _("The sender has been deleted.")


@method_decorator(require_POST, name="dispatch")
class SenderResendConfirmationView(WriteAccessMixin, View):
    model = Sender

    def post(self, request, pk: int):
        sender = get_object_or_404(self.get_queryset(), pk=pk)
        if sender.confirmed_at is None:
            confirmation_send(request, sender)
        return redirect(sender)


@method_decorator(never_cache, name="dispatch")
class SenderConfirmView(TemplateView):
    """The link in the confirmation email: GET asks (mail scanners open links), POST
    confirms. Whoever holds the mailbox may confirm, signed in or not."""

    template_name = "senders/sender_confirm.html"

    def dispatch(self, request, *args, **kwargs):
        self.sender = sender_from_token(kwargs["token"])
        if self.sender is None:
            return self.render_to_response({"invalid": True}, status=404)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "sender": self.sender}

    def post(self, request, *args, **kwargs):
        sender_confirm(sender=self.sender)
        return self.render_to_response({"sender": self.sender, "done": True})


# Domains


class DomainListView(DomainReadMixin, ListView):
    pass


def _results_for_display(domain: Domain) -> list[dict]:
    checked = {result["name"]: result for result in domain.check_results}
    rows = []
    for record in records_for(domain):
        if record.kind == "return_path":
            continue  # BOUNCE_DOMAIN is the platform's: its operator publishes that one
        result = checked.get(record.name, {})
        state = result.get("state", "")
        found = result.get("found", [])
        spf_found = [text for text in found if text.lower().startswith("v=spf1")]
        rows.append(
            {
                "record": record,
                "kind_label": KIND_LABELS[record.kind],
                "state": state,
                "state_label": STATE_LABELS.get(state, ""),
                "found": found,
                "message": result.get("message", ""),
                # An SPF record already there: ours merged into it, never a second one.
                "merged": spf_merged(spf_found) if state == WRONG and spf_found else "",
            }
        )
    return rows


class DomainDetailView(DomainReadMixin, DetailView):
    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "rows": _results_for_display(self.object),
        }


class DomainCreateView(WriteAccessMixin, FormView):
    model = Domain
    form_class = DomainForm
    template_name = "senders/domain_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "owner": self.request.user}

    def form_valid(self, form):
        domain, _created = domain_add(owner=self.request.user, domain=form.cleaned_data["domain"])
        messages.success(
            self.request,
            gettext("Publish these records in the DNS of %(domain)s, then press “Check”.")
            % {"domain": domain},
        )
        return redirect(domain)


@method_decorator(require_POST, name="dispatch")
class DomainCheckView(WriteAccessMixin, View):
    model = Domain

    def post(self, request, pk: int):
        domain = get_object_or_404(self.get_queryset(), pk=pk)
        results = domain_check(domain=domain)
        problems = [result["message"] for result in results if result["message"]]
        if problems:
            messages.warning(request, problems[0])
        elif domain.is_verified:
            messages.success(request, gettext("The domain is verified: its mail is signed."))
        else:
            messages.info(request, gettext("The DKIM record is not published yet."))
        return redirect(domain)


class DomainDeleteView(WriteAccessMixin, SuccessMessageMixin, DeleteView):
    model = Domain
    success_url = reverse_lazy("senders:domain_list")
    success_message = _("The domain has been deleted.")


class BrandView(WriteAccessMixin, SuccessMessageMixin, UpdateView):
    """The user's brand, around every email they send (created on first save)."""

    model = Brand
    form_class = BrandForm
    template_name = "senders/brand_form.html"
    success_url = reverse_lazy("senders:brand")
    success_message = _("Your brand has been saved; it applies to every email from now on.")

    def get_object(self, queryset=None) -> Brand:
        return Brand.objects.filter(owner=self.request.user).first() or Brand(
            owner=self.request.user
        )

    def get_context_data(self, **kwargs):
        message = self.request.user.messages.order_by("-updated_at").first()
        return {**super().get_context_data(**kwargs), "latest_message": message}


class RelayView(WriteAccessMixin, UpdateView):
    """The user's own relay (created on first save); its password is never shown again.

    Every save checks the relay first, as the engine will use it: an address that can
    never be used is refused; one that does not connect now is saved only when the user
    answers "save anyway". "Check these settings" does the same check without saving."""

    model = Relay
    form_class = RelayForm
    template_name = "senders/relay_form.html"
    success_url = reverse_lazy("senders:relay")
    success_message = _("The relay has been saved: your mailings go out through it.")

    def get_object(self, queryset=None) -> Relay:
        return Relay.objects.owned_by(self.request.user).first() or Relay(owner=self.request.user)

    def form_valid(self, form):
        check = relay_check(form.smtp_settings)
        checking = bool(self.request.POST.get("check"))
        if check.refused:
            form.add_error("host", check.message)
        elif not check.ok and (checking or not form.cleaned_data["save_anyway"]):
            form.add_error(None, check.message)
        if checking or form.errors:
            context = {"check": check, "ask_to_save_anyway": not checking and not check.refused}
            return self.render_to_response(self.get_context_data(form=form, **context))
        self.object = relay_save(relay=form.instance, url=form.url)
        if check.ok:
            messages.success(self.request, self.success_message)
        else:
            messages.warning(
                self.request,
                gettext(
                    "The relay has been saved, but it does not connect yet: your mailings "
                    "wait for it. %(reason)s"
                )
                % {"reason": check.message},
            )
        return redirect(self.success_url)


@method_decorator(require_POST, name="dispatch")
class RelayTestView(WriteAccessMixin, View):
    """Talks to the saved relay, within a few seconds, and says what it answered."""

    model = Relay

    def post(self, request):
        relay = get_object_or_404(self.get_queryset())
        try:
            check = relay_test(relay)
        except KeyUnusable:
            messages.error(request, RELAY_KEY_LOST)
            return redirect("senders:relay")
        if check.ok:
            messages.success(
                request, gettext("The relay answered: %(reply)s") % {"reply": check.message}
            )
        else:
            messages.warning(
                request, gettext("The relay cannot be used: %(reply)s") % {"reply": check.message}
            )
        return redirect("senders:relay")


class RelayDeleteView(WriteAccessMixin, SuccessMessageMixin, DeleteView):
    model = Relay
    success_url = reverse_lazy("senders:relay")
    success_message = _("The relay has been removed: your mailings go out through ours again.")
    template_name = "senders/relay_confirm_delete.html"

    def get_object(self, queryset=None) -> Relay:
        return get_object_or_404(self.get_queryset())
