from django import template
from django.urls import reverse

from sending.forms import ResendForm
from sending.holds import hold_for_banner
from sending.progress import mailing_progress
from workspace.roles import sees_everything

register = template.Library()


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
def sending_pause():
    """Sending is paused until the operator fixes the SMTP settings (or None)."""
    return hold_for_banner()


@register.filter(name="sees_everything")
def sees_everything_filter(user) -> bool:
    """Managers oversee every workspace: `{% if user|sees_everything %}`."""
    return sees_everything(user)
