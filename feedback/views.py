from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from mailings.access import ReadAccessMixin, WriteAccessMixin
from mailings.models import Client

from .models import FeedbackEvent
from .selectors import SUPPRESSED, suppressions_visible_to
from .services import client_reactivate


class SuppressionListView(ReadAccessMixin, ListView):
    model = Client
    template_name = "feedback/suppression_list.html"
    paginate_by = 50

    def get_queryset(self):
        return suppressions_visible_to(self.request.user)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "kinds": dict(FeedbackEvent.Kind.choices)}


@method_decorator(require_POST, name="dispatch")
class SuppressionReactivateView(WriteAccessMixin, View):
    model = Client

    def post(self, request, pk: int):
        client = get_object_or_404(self.get_queryset(), pk=pk, status__in=SUPPRESSED)
        client_reactivate(client=client)
        messages.success(
            request,
            gettext("%(email)s will receive your mailings again.") % {"email": client.email},
        )
        return redirect("feedback:suppression_list")
