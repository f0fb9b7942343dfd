from django import template
from django.utils import timezone

from reports.engagement import run_engagement

register = template.Library()


@register.inclusion_tag("tracking/run_engagement.html")
def engagement_of(attempt) -> dict:
    """The run's opens and clicks: figures, top links and the timeline (the page has
    already decided that the viewer may see the run)."""
    return {"engagement": run_engagement(attempt, zone=timezone.get_current_timezone())}
