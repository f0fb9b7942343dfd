"""/webhooks/: a user's endpoints, each with its secret and its delivery log."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.messages.views import SuccessMessageMixin
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import CreateView, DeleteView, DetailView, ListView, UpdateView

from .forms import EndpointForm
from .models import Endpoint

LOG_LENGTH = 50


class OwnEndpointsMixin(LoginRequiredMixin):
    """Endpoints hold their signing secret: only their owner sees them (others: 404)."""

    model = Endpoint

    def get_queryset(self):
        return Endpoint.objects.filter(owner=self.request.user)


class EndpointListView(OwnEndpointsMixin, ListView):
    template_name = "webhooks/endpoint_list.html"


class EndpointDetailView(OwnEndpointsMixin, DetailView):
    template_name = "webhooks/endpoint_detail.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "log": self.object.messages.order_by("-created_at", "-pk")[:LOG_LENGTH],
        }


class EndpointCreateView(OwnEndpointsMixin, SuccessMessageMixin, CreateView):
    form_class = EndpointForm
    template_name = "webhooks/endpoint_form.html"
    success_message = _("The endpoint has been added.")

    def form_valid(self, form):
        form.instance.owner = self.request.user
        return super().form_valid(form)


class EndpointUpdateView(OwnEndpointsMixin, SuccessMessageMixin, UpdateView):
    form_class = EndpointForm
    template_name = "webhooks/endpoint_form.html"
    success_message = _("The endpoint has been saved.")


class EndpointDeleteView(OwnEndpointsMixin, SuccessMessageMixin, DeleteView):
    template_name = "webhooks/endpoint_confirm_delete.html"
    success_url = reverse_lazy("webhooks:list")
    success_message = _("The endpoint has been deleted.")


@method_decorator(require_POST, name="dispatch")
class EndpointEnableView(OwnEndpointsMixin, View):
    """Turn a disabled endpoint back on; its failing streak starts afresh."""

    def post(self, request, pk: int):
        endpoint = get_object_or_404(self.get_queryset(), pk=pk)
        Endpoint.objects.filter(pk=endpoint.pk).update(
            is_active=True, failing_since=None, disabled_reason=""
        )
        messages.success(request, gettext("The endpoint is active again."))
        return redirect(endpoint)
