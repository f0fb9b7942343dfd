"""/accounts/api-tokens/: a user's personal API tokens."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.generic import FormView

from .forms import ApiTokenForm
from .models import ApiToken


@method_decorator(never_cache, name="dispatch")
class ApiTokenListView(LoginRequiredMixin, FormView):
    """The list, and the form for a new token; the new token is shown once, here."""

    form_class = ApiTokenForm
    template_name = "api/api_tokens.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "tokens": ApiToken.objects.filter(owner=self.request.user),
            "now": timezone.now(),
        }

    def form_valid(self, form):
        token, text = ApiToken.issue(
            owner=self.request.user,
            name=form.cleaned_data["name"],
            read_only=form.cleaned_data["read_only"],
            expires_at=form.expires_at(),
        )
        context = self.get_context_data(form=self.form_class(), new_token=token, token_text=text)
        return TemplateResponse(self.request, self.template_name, context)


@method_decorator(require_POST, name="dispatch")
class ApiTokenRevokeView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        token = get_object_or_404(ApiToken.objects.filter(owner=request.user), pk=pk)
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        messages.success(
            request, gettext("The token “%(name)s” has been revoked.") % {"name": token.name}
        )
        return redirect("api_tokens:list")
