from django import template

from tracking.selectors import client_history

register = template.Library()


@register.inclusion_tag("tracking/client_history.html")
def engagement_history(client) -> dict:
    """What the client opened and clicked, from the runs tracked per recipient."""
    return {"events": client_history(client)}
