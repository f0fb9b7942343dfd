from django import template

from sending.holds import hold_for_banner
from workspace.roles import sees_everything

register = template.Library()


@register.simple_tag
def sending_pause():
    """Sending is paused until the operator fixes the SMTP settings (or None)."""
    return hold_for_banner()


@register.filter(name="sees_everything")
def sees_everything_filter(user) -> bool:
    """Managers oversee every workspace: `{% if user|sees_everything %}`."""
    return sees_everything(user)
