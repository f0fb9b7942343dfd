from django import template

from senders.models import Relay

register = template.Library()


@register.simple_tag(takes_context=True)
def relay_needing_owner(context) -> Relay | None:
    """The signed-in user's relay while their runs wait for them to fix it (or None)."""
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return None
    return (
        Relay.objects.owned_by(user)
        .filter(hold_reason__in=[Relay.Hold.KEY, Relay.Hold.AUTH, Relay.Hold.CONFIG])
        .first()
    )
