"""A client's data on request (SPEC §4 roles: the export is a read, so managers may take
it too; erasing is a write, the owner's alone)."""

import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import DeleteView, DetailView

from workspace.access import ReadAccessMixin, WriteAccessMixin

from .models import Client
from .privacy import client_erase, client_export


class ClientDataExportView(ReadAccessMixin, DetailView):
    model = Client

    def get(self, request, *args, **kwargs):
        client = self.get_object()
        data = json.dumps(
            client_export(client), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2
        )
        response = HttpResponse(data, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="client-{client.pk}.json"'
        return response


class ClientEraseView(WriteAccessMixin, DeleteView):
    model = Client
    template_name = "audience/client_confirm_erase.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "delivery_count": self.object.deliveries.count(),
        }

    def form_valid(self, form):
        email = self.object.email
        client_erase(self.object)
        messages.success(
            self.request, _("All data of %(email)s has been erased.") % {"email": email}
        )
        return redirect(reverse("mailings:client_list"))
