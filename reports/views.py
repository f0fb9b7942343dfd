from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import ListView

from mailings.selectors import mailings_visible_to
from sending.models import HANDED_OVER, Delivery
from workspace.roles import sees_everything
from workspace.views import ListControlsMixin

from .exports import attempts_csv_lines, deliveries_csv_lines
from .figures import attempt_totals, attempts_filtered, daily_charts, totals_feedback
from .forms import ReportFilterForm
from .progress import mailing_progress, run_figures
from .selectors import attempts_visible_to

# Runs


class RunMixin(LoginRequiredMixin):
    """The recipients of one run, narrowed by ?status= (a Delivery status). The run is
    found through its mailing, so the mailing's reading rule (owner, or a manager)
    decides: another user's run is 404."""

    def get_queryset(self):
        self.mailing = get_object_or_404(
            mailings_visible_to(self.request.user).select_related("message", "owner"),
            pk=self.kwargs["pk"],
        )
        self.attempt = get_object_or_404(self.mailing.attempts, pk=self.kwargs["attempt_id"])
        deliveries = self.attempt.deliveries.all()
        self.status = self.request.GET.get("status", "")
        if self.status in Delivery.Status.values:
            deliveries = deliveries.filter(status=self.status)
        else:
            self.status = ""
        return deliveries


class RunDetailView(ListControlsMixin, RunMixin, ListView):
    template_name = "mailings/run_detail.html"
    paginate_by = 50
    context_object_name = "deliveries"
    search_fields = ("email", "full_name")
    sort_fields = {"added": "pk", "email": "email", "status": "status", "time": "sent_at"}
    default_sort = "added"

    def get_search_fields(self) -> tuple[str, ...]:
        return self.search_fields

    def get_context_data(self, **kwargs):
        counts = dict(
            self.attempt.deliveries.order_by()
            .values_list("status")
            .annotate(count=Count("*"))
            .values_list("status", "count")
        )
        handed_over = sum(counts.get(status, 0) for status in HANDED_OVER)
        return {
            **super().get_context_data(**kwargs),
            "mailing": self.mailing,
            "attempt": self.attempt,
            "run": run_figures(self.attempt, now=timezone.now()),
            "feedback": self.attempt.feedback_figures(handed_over=handed_over),
            "status": self.status,
            "statuses": [
                (value, label, counts.get(value, 0)) for value, label in Delivery.Status.choices
            ],
            "total": sum(counts.values()),
            "oversight": sees_everything(self.request.user),
        }


class RunExportView(ListControlsMixin, RunMixin, View):
    """The recipients the run page lists (same status and search), streamed as CSV."""

    search_fields = RunDetailView.search_fields
    sort_fields = RunDetailView.sort_fields
    default_sort = RunDetailView.default_sort
    get_search_fields = RunDetailView.get_search_fields

    def get(self, request, *args, **kwargs):
        lines = deliveries_csv_lines(self.get_queryset(), zone=timezone.get_current_timezone())
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        filename = f"run-{self.attempt.pk}-{self.attempt.started_at:%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


# Reports


class ReportMixin(LoginRequiredMixin):
    """The attempts the user may see, narrowed by the filter form in the query string."""

    def get_filter_form(self) -> ReportFilterForm:
        if not hasattr(self, "_filter_form"):
            self._filter_form = ReportFilterForm(
                self.request.GET or None, mailings=mailings_visible_to(self.request.user)
            )
        return self._filter_form

    def get_filters(self) -> dict:
        form = self.get_filter_form()
        if form.is_bound and form.is_valid():
            return {key: value for key, value in form.cleaned_data.items() if value}
        return {}

    def get_attempts(self):
        zone = timezone.get_current_timezone()
        return attempts_filtered(
            attempts_visible_to(self.request.user), zone=zone, **self.get_filters()
        )


class ReportView(ReportMixin, ListView):
    template_name = "mailings/reports.html"
    paginate_by = 50
    context_object_name = "attempts"

    def get_queryset(self):
        return (
            self.get_attempts()
            .select_related("mailing__message", "mailing__owner")
            .order_by("-started_at", "-pk")
        )

    def get_context_data(self, **kwargs):
        attempts = self.get_attempts()
        filters = self.get_filters()
        totals = attempt_totals(attempts)
        return {
            **super().get_context_data(**kwargs),
            "filter_form": self.get_filter_form(),
            "totals": totals,
            "feedback": totals_feedback(totals),
            "charts": daily_charts(
                attempts,
                zone=timezone.get_current_timezone(),
                date_from=filters.get("date_from"),
                date_to=filters.get("date_to"),
            ),
            "oversight": sees_everything(self.request.user),
        }


class ReportExportView(ReportMixin, View):
    def get(self, request, *args, **kwargs):
        attempts = (
            self.get_attempts()
            .select_related("mailing__message", "mailing__owner")
            .order_by("-started_at", "-pk")
        )
        lines = attempts_csv_lines(attempts, zone=timezone.get_current_timezone())
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        filename = f"report-{timezone.localdate():%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


# Progress


@method_decorator(never_cache, name="dispatch")
class MailingProgressView(LoginRequiredMixin, View):
    """The current run's counts as JSON, polled by the mailing page while it runs. The
    owner and the managers may look; anybody else gets 404."""

    def get(self, request, pk: int):
        mailing = get_object_or_404(mailings_visible_to(request.user), pk=pk)
        return JsonResponse(mailing_progress(mailing=mailing))
