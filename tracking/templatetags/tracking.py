from django import template
from django.utils import timezone

from tracking.selectors import client_history, run_engagement

register = template.Library()


@register.inclusion_tag("tracking/run_engagement.html")
def engagement_of(attempt) -> dict:
    """The run's opens and clicks: figures, top links and the timeline (the page has
    already decided that the viewer may see the run)."""
    return {"engagement": run_engagement(attempt, zone=timezone.get_current_timezone())}


@register.inclusion_tag("tracking/client_history.html")
def engagement_history(client) -> dict:
    """What the client opened and clicked, from the runs tracked per recipient."""
    return {"events": client_history(client)}
