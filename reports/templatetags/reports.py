from django import template
from django.urls import reverse
from django.utils import timezone

from reports.engagement import run_engagement
from reports.progress import finished_run_figures, mailing_progress, run_figures
from sending.forms import ResendForm
from workspace.roles import sees_everything

register = template.Library()


@register.inclusion_tag("tracking/run_engagement.html")
def engagement_of(attempt) -> dict:
    """The run's opens and clicks: figures, top links and the timeline (the page has
    already decided that the viewer may see the run)."""
    return {"engagement": run_engagement(attempt, zone=timezone.get_current_timezone())}


@register.simple_tag(takes_context=True)
def progress_of(context, mailing) -> dict:
    """The current run of `mailing`, and the resend form when the viewer may use it."""
    progress = mailing_progress(mailing=mailing)
    user = context["request"].user
    attempt = progress["attempt"]
    progress["url"] = reverse("sending:mailing_progress", args=[mailing.pk])
    progress["can_resend"] = bool(
        attempt
        and attempt["resendable"]
        and mailing.owner_id == user.pk
        and not sees_everything(user)
    )
    if progress["can_resend"]:
        progress["resend_url"] = reverse("sending:attempt_resend", args=[attempt["id"]])
        progress["resend_form"] = ResendForm()
    return progress


@register.simple_tag
def run_of(attempt, progress: dict) -> dict:
    """A row of the runs table: the current run exactly as the progress card shows it,
    any earlier one as it closed."""
    current = progress.get("attempt")
    if current and current["id"] == attempt.pk:
        return current
    return finished_run_figures(attempt)


@register.simple_tag
def figures_of(attempt) -> dict:
    """A row of the reports table: a run under way counted from its ledger, as its
    mailing's page counts it (its stored figures are written when it ends)."""
    return run_figures(attempt, now=timezone.now())
