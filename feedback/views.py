from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext, ngettext
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from audience.models import Suppression
from audience.suppression_imports import PROBLEMS_SHOWN, suppressions_import
from workspace.access import ReadAccessMixin, WriteAccessMixin
from workspace.roles import sees_everything
from workspace.search import search_text

from .forms import SuppressionImportForm, SuppressionReactivateForm
from .models import FeedbackEvent
from .selectors import suppressed_addresses_visible_to
from .services import suppression_reactivate


class SuppressionListView(ReadAccessMixin, ListView):
    """Every address the owner may not mail, why and since when; reactivating one, and
    importing a list of them."""

    model = Suppression
    template_name = "feedback/suppression_list.html"
    paginate_by = 50

    def get_queryset(self):
        self.query = search_text(self.request.GET.get("q", ""))
        return suppressed_addresses_visible_to(self.request.user, query=self.query)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not sees_everything(self.request.user):
            context.setdefault("form", SuppressionImportForm())
            context["reactivate_form"] = SuppressionReactivateForm()
        return {
            **context,
            "query": self.query,
            "kinds": dict(FeedbackEvent.Kind.choices),
        }


@method_decorator(require_POST, name="dispatch")
class SuppressionImportView(WriteAccessMixin, SuppressionListView):
    def post(self, request):
        form = SuppressionImportForm(request.POST, request.FILES)
        if not form.is_valid():
            self.object_list = SuppressionListView.get_queryset(self)
            return self.render_to_response(self.get_context_data(form=form))
        read = form.cleaned_data["read"]
        result = suppressions_import(owner=request.user, addresses=read.addresses)
        messages.success(
            request,
            gettext(
                "Suppressed: %(added)d new, %(already)d already on the list; "
                "%(held)d of your clients no longer receive mailings."
            )
            % {"added": result.added, "already": result.already, "held": result.clients_held},
        )
        if read.problems:
            shown = "; ".join(
                gettext("line %(line)d %(value)s: %(reason)s")
                % {"line": problem.line, "value": problem.value, "reason": problem.reason}
                for problem in read.problems[:PROBLEMS_SHOWN]
            )
            skipped = ngettext(
                "%(count)d line was skipped: %(lines)s",
                "%(count)d lines were skipped: %(lines)s",
                len(read.problems),
            ) % {"count": len(read.problems), "lines": shown}
            messages.warning(request, skipped)
        return redirect("feedback:suppression_list")


@method_decorator(require_POST, name="dispatch")
class SuppressionReactivateView(WriteAccessMixin, View):
    """The owner lifts a bounce, a complaint or their own import, saying why; a
    recipient's own unsubscribe only the recipient can undo."""

    model = Suppression

    def post(self, request, pk: int):
        suppression = get_object_or_404(self.get_queryset().held(), pk=pk)
        if not suppression.owner_may_lift:
            messages.error(
                request,
                gettext(
                    "This address unsubscribed: only its holder can subscribe again, "
                    "through one of your subscription forms."
                ),
            )
            return redirect("feedback:suppression_list")
        form = SuppressionReactivateForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext("Say why the address may be mailed again."))
            return redirect("feedback:suppression_list")
        suppression_reactivate(suppression=suppression, reason=form.cleaned_data["reason"])
        address = suppression.email or gettext("The address")
        messages.success(
            request, gettext("%(email)s may receive your mailings again.") % {"email": address}
        )
        return redirect("feedback:suppression_list")
