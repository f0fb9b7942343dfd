"""The owner's view of the subscription side: a list's public link and embeddable form,
and a client's consent records."""

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from audience.models import ConsentRecord

register = template.Library()


@register.simple_tag
def subscription_url(mailing_list) -> str:
    return settings.SITE_URL + reverse("subscriptions:subscribe", args=[mailing_list.token])


@register.simple_tag
def subscription_snippet(mailing_list) -> str:
    """The HTML to paste into the owner's site: a plain form, in the list's language,
    posting to the hosted page (which asks for the proof of work when the list wants it)."""
    with translation.override(mailing_list.language):
        return render_to_string(
            "audience/embed_snippet.html",
            {"mailing_list": mailing_list, "url": subscription_url(mailing_list)},
        ).strip()


@register.inclusion_tag("audience/includes/client_consents.html")
def client_consents(client) -> dict:
    consents = ConsentRecord.objects.filter(client=client).select_related("mailing_list")
    return {"client": client, "consents": consents[:50]}
