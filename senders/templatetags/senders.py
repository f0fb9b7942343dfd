from django import template

from senders.models import Relay

register = template.Library()


@register.simple_tag(takes_context=True)
def own_relay(context) -> Relay | None:
    """The signed-in user's relay, if they send through one (or None)."""
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return None
    return Relay.objects.owned_by(user).first()
