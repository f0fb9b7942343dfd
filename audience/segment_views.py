import hashlib
import json

from django.contrib.messages.views import SuccessMessageMixin
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import CreateView, DeleteView, DetailView, ListView, UpdateView

from workspace.access import InUseDeleteMixin, OwnerFormMixin, ReadAccessMixin, WriteAccessMixin
from workspace.roles import row_id

from .attributes import attribute_labels
from .models import Segment
from .segment_forms import SegmentForm, rule_formset, segment_count_of
from .segments import RuleError, custom_keys, rule_text, segment_clients
from .selectors import COUNT_CACHE_SECONDS, segment_count, segments_visible_to


class SegmentReadMixin(ReadAccessMixin):
    model = Segment

    def get_queryset(self):
        return segments_visible_to(self.request.user).select_related("owner")


class SegmentListView(SegmentReadMixin, ListView):
    paginate_by = 50

    def get_queryset(self):
        return (
            super().get_queryset().annotate(mailing_count=Count("mailings")).order_by("name", "pk")
        )


class SegmentDetailView(SegmentReadMixin, DetailView):
    """The rules, the first matches and the mailings; the count comes from
    SegmentMatchCountView once the page is shown (over a million clients it takes
    longer than the rest of the page)."""

    def get_context_data(self, **kwargs):
        segment = self.object
        error, sample = None, []
        try:
            sample = list(segment_clients(segment).order_by("pk")[:20])
        except RuleError as rule_error:
            error = rule_error.message
        rules = segment.rules if isinstance(segment.rules, list) else []
        labels = attribute_labels(segment.owner_id, custom_keys(rules))
        return {
            **super().get_context_data(**kwargs),
            "rules": [rule_text(rule, labels=labels) for rule in rules],
            "rule_error": error,
            "sample": sample,
            "segment_mailings": segment.mailings.select_related("message").order_by("-pk")[:20],
        }


@method_decorator(never_cache, name="dispatch")
class SegmentMatchCountView(SegmentReadMixin, View):
    """{"count": n}: how many clients the segment matches now, remembered a minute."""

    def get(self, request, pk: int):
        segment = get_object_or_404(self.get_queryset(), pk=pk)
        return JsonResponse({"count": segment_count(segment)})


class SegmentFormMixin(OwnerFormMixin, SuccessMessageMixin):
    model = Segment
    form_class = SegmentForm
    success_message = _("Segment “%(name)s” has been saved.")

    def get_rules(self):
        if not hasattr(self, "_rules"):
            data = self.request.POST if self.request.method == "POST" else None
            if data is not None and "add_row" in data:
                # "Add a condition" without JavaScript: the same rows and one more.
                data = data.copy()
                rows = row_id(data.get("rules-TOTAL_FORMS", ""))
                data["rules-TOTAL_FORMS"] = str(rows + 1) if rows is not None else "1"
            segment = self.object if getattr(self, "object", None) else None
            self._rules = rule_formset(self.request.user, data, segment=segment)
        return self._rules

    def get_context_data(self, **kwargs):
        rules = self.get_rules()
        return {
            **super().get_context_data(**kwargs),
            "rules": rules,
            "rule_fields": rules.editor.fields_json(),
        }

    def post(self, request, *args, **kwargs):
        if "add_row" in request.POST:
            self.object = self.get_object() if "pk" in self.kwargs else None
            return self.render_to_response(self.get_context_data(form=self.get_form()))
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        rules = self.get_rules()
        if not rules.is_valid():
            form.add_error(None, gettext("Check the conditions below."))
            return self.form_invalid(form)
        form.instance.rules = rules.rules()
        with transaction.atomic():
            return super().form_valid(form)


class SegmentCreateView(SegmentFormMixin, CreateView):
    pass


class SegmentUpdateView(SegmentFormMixin, UpdateView):
    pass


class SegmentDeleteView(InUseDeleteMixin, WriteAccessMixin, SuccessMessageMixin, DeleteView):
    model = Segment
    success_url = reverse_lazy("audience:segment_list")
    success_message = _("The segment has been deleted.")
    in_use_message = _(
        "This segment is used by the mailings listed below, so it cannot be "
        "deleted. Give them other recipients first."
    )


@method_decorator(never_cache, name="dispatch")
class SegmentCountView(WriteAccessMixin, View):
    """The live count of the editor: the rules in the query string → {"count": n} or
    {"errors": [...]}. Read-only, so a GET; cached a minute per question."""

    model = Segment

    def get(self, request):
        data = request.GET
        digest = hashlib.sha256(
            json.dumps(sorted(data.lists()), ensure_ascii=False).encode()
        ).hexdigest()
        key = f"segment-live-count:{request.user.pk}:{get_language()}:{digest}"
        answer = cache.get(key)
        if answer is None:
            count, errors = segment_count_of(request.user, data)
            answer = {"count": count} if not errors else {"errors": errors}
            cache.set(key, answer, COUNT_CACHE_SECONDS)
        return JsonResponse(answer)
