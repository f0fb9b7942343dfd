"""ESP tracking webhooks at /webhooks/esp/<esp>/, through django-anymail: anymail
authenticates the request as each provider documents (a signature where the provider
signs, else the WEBHOOK_SECRET basic auth) and normalises the event; we match it to
our delivery by the signed Message-ID we gave the email, found in the provider's event
(an id whose signature does not verify names nothing)."""

import json
import logging
import warnings

from anymail.signals import EventType, tracking
from anymail.webhooks import (
    amazon_ses,
    brevo,
    mailersend,
    mailgun,
    mailjet,
    mandrill,
    postal,
    postmark,
    resend,
    sparkpost,
)
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.dispatch import receiver
from django.http import Http404
from django.views.decorators.csrf import csrf_exempt

from audience.models import Client
from audience.status import Reason, client_set_status
from senders.envelope import delivery_of_message_id
from sending.models import Delivery

from .models import FeedbackEvent
from .parsing import smtp_status
from .services import feedback_record

log = logging.getLogger(__name__)

TRACKING_VIEWS = {
    "amazon_ses": amazon_ses.AmazonSESTrackingWebhookView,
    "brevo": brevo.BrevoTrackingWebhookView,
    "mailersend": mailersend.MailerSendTrackingWebhookView,
    "mailgun": mailgun.MailgunTrackingWebhookView,
    "mailjet": mailjet.MailjetTrackingWebhookView,
    "mandrill": mandrill.MandrillCombinedWebhookView,
    "postal": postal.PostalTrackingWebhookView,
    "postmark": postmark.PostmarkTrackingWebhookView,
    "resend": resend.ResendTrackingWebhookView,
    "sparkpost": sparkpost.SparkPostTrackingWebhookView,
}
# A rejection for one of these reasons is about the address (the provider's own
# suppression list, a bounce it already saw); "other" or "timed_out" may not be.
ADDRESS_REJECTIONS = {"bounced", "invalid", "blocked"}


@csrf_exempt
def esp_webhook(request, esp: str):
    view_class = TRACKING_VIEWS.get(esp)
    if view_class is None:
        raise Http404("No such provider")
    try:
        view = view_class.as_view()
        # Built once to see its authentication: never accept events nobody vouched for.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its "insecure" warning: refused below
            probe = view_class()
    except ImproperlyConfigured as error:
        log.warning("Webhook for %s refused: not configured (%s)", esp, error)
        raise Http404("This provider is not configured") from error
    if probe.warn_if_no_basic_auth and not probe.basic_auth:
        log.warning("Webhook for %s refused: ANYMAIL_WEBHOOK_SECRET is not set", esp)
        raise PermissionDenied
    try:
        return view(request)
    except ImproperlyConfigured as error:
        # Some providers' keys are read only when a request comes (Mandrill's).
        log.warning("Webhook for %s refused: not configured (%s)", esp, error)
        raise Http404("This provider is not configured") from error


def _delivery_for(event) -> Delivery | None:
    candidates = [event.message_id or ""]
    # Providers report their own id; the Message-ID we set is inside the raw event.
    candidates.append(json.dumps(event.esp_event, default=str))
    for text in candidates:
        ids = delivery_of_message_id(text)
        if ids is not None:
            delivery_id, attempt_id = ids
            return (
                Delivery.objects.select_related("client")
                .filter(pk=delivery_id, attempt_id=attempt_id)
                .first()
            )
    return None


@receiver(tracking)
def esp_event_received(sender, event, esp_name, **kwargs) -> None:
    kinds = {
        EventType.BOUNCED: FeedbackEvent.Kind.HARD,
        EventType.COMPLAINED: FeedbackEvent.Kind.COMPLAINT,
    }
    kind = kinds.get(event.event_type)
    if event.event_type == EventType.REJECTED and event.reject_reason in ADDRESS_REJECTIONS:
        kind = FeedbackEvent.Kind.HARD
    if kind is None and event.event_type != EventType.UNSUBSCRIBED:
        return  # deliveries, opens, deferrals: not ours to act on
    delivery = _delivery_for(event)
    if delivery is None or delivery.client is None:
        log.warning(
            "%s event ignored: it names no delivery of ours (no signed Message-ID)", esp_name
        )
        return
    if (event.recipient or "").lower() != delivery.email.lower():
        log.warning("%s event ignored: it is about another address", esp_name)
        return
    if event.event_type == EventType.UNSUBSCRIBED:
        client_set_status(
            client=delivery.client, to=Client.Status.UNSUBSCRIBED, reason=Reason.UNSUBSCRIBE
        )
        return
    reply = event.mta_response or event.description or event.reject_reason or ""
    feedback_record(
        client=delivery.client,
        kind=kind,
        source=FeedbackEvent.Source.WEBHOOK,
        delivery_id=delivery.pk,
        status_code=smtp_status(reply),
        server_response=f"{esp_name}: {reply}",
    )
