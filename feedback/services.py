"""The suppression policy: what a bounce or a complaint does to its client."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from audience.models import Client, Suppression
from audience.suppressions import suppression_lift, suppression_of, suppression_record
from sending.models import HANDED_OVER, Attempt, Delivery
from sending.services import attempt_feedback_counted, attempt_pause_for_feedback

from .models import FeedbackEvent
from .signals import client_suppressed

log = logging.getLogger(__name__)

Kind = FeedbackEvent.Kind
COUNTERS = {
    Kind.HARD: "hard_bounce_count",
    Kind.SOFT: "soft_bounce_count",
    Kind.COMPLAINT: "complaint_count",
}


def _soft_bounces_recent(client_id: int, now: datetime) -> int:
    since = now - timedelta(days=settings.BOUNCE_SOFT_WINDOW_DAYS)
    return FeedbackEvent.objects.filter(
        client_id=client_id, kind=Kind.SOFT, created_at__gt=since, cleared_at__isnull=True
    ).count()


@transaction.atomic
def feedback_record(
    *,
    client: Client,
    kind: str,
    source: str,
    delivery_id: int | None = None,
    status_code: str = "",
    server_response: str = "",
    now: datetime | None = None,
) -> FeedbackEvent:
    """Record one bounce or complaint and apply the policy to its client.

    A hard bounce suppresses at once, soft ones once BOUNCE_SOFT_LIMIT arrived within
    BOUNCE_SOFT_WINDOW_DAYS, a complaint at once (and unsubscribes). A client that is
    already not receiving keeps its status, except that a complaint outranks the rest.
    """
    now = now or timezone.now()
    event = FeedbackEvent.objects.create(
        owner_id=client.owner_id,
        client=client,
        delivery_id=delivery_id,
        email=client.email,
        kind=kind,
        source=source,
        status_code=status_code[:32],
        server_response=server_response[:2000],
        created_at=now,
    )
    if delivery_id is not None:
        _count_for_run(event)
    clients = Client.objects.filter(pk=client.pk)
    if kind == Kind.COMPLAINT:
        changed = clients.exclude(status=Client.Status.COMPLAINED).update(
            status=Client.Status.COMPLAINED, unsubscribed_at=Coalesce("unsubscribed_at", now)
        )
    elif kind == Kind.HARD or _soft_bounces_recent(client.pk, now) >= settings.BOUNCE_SOFT_LIMIT:
        changed = clients.filter(status=Client.Status.ACTIVE).update(status=Client.Status.BOUNCED)
    else:
        changed = 0
    if changed:
        log.info("Client %s (%s) suppressed: %s from %s", client.pk, client.email, kind, source)
        status = Client.Status.COMPLAINED if kind == Kind.COMPLAINT else Client.Status.BOUNCED
        suppression_record(client=client, status=status, at=now)
        client_suppressed.send(sender=feedback_record, client=client, status=status, event=event)
    return event


@transaction.atomic
def client_reactivate(*, client: Client, reason: str) -> bool:
    """The owner vouches for a bounced or complained address (or one of their own
    import): it receives again, the bounces and complaints so far no longer count, and
    the suppression list keeps why. A recipient's own unsubscribe is not the owner's to
    undo."""
    suppression = suppression_of(owner_id=client.owner_id, email=client.email)
    if suppression is not None and not suppression.owner_may_lift:
        return False
    statuses = [Client.Status.BOUNCED, Client.Status.COMPLAINED]
    if suppression is not None and suppression.reason == Suppression.Reason.IMPORTED:
        statuses.append(Client.Status.UNSUBSCRIBED)
    changed = Client.objects.filter(pk=client.pk, status__in=statuses).update(
        status=Client.Status.ACTIVE, unsubscribed_at=None
    )
    if changed:
        FeedbackEvent.objects.filter(client_id=client.pk, cleared_at__isnull=True).update(
            cleared_at=timezone.now()
        )
        suppression_lift(
            owner_id=client.owner_id,
            email=client.email,
            by=Suppression.LiftedBy.OWNER,
            reason=reason,
        )
    client.refresh_from_db(fields=["status", "unsubscribed_at"])
    return bool(changed)


@transaction.atomic
def suppression_reactivate(*, suppression: Suppression, reason: str) -> Client | None:
    """The owner lifts a suppressed address from the suppression page: its client, if
    there is one, receives again; an address with no client (deleted, or erased) may be
    added again. The client reactivated, if any."""
    client = None
    if suppression.email:
        client = (
            Client.objects.owned_by(suppression.owner_id)
            .alias(key=Lower("email"))
            .filter(key=suppression.email)
            .first()
        )
    if client is not None and client_reactivate(client=client, reason=reason):
        return client
    Suppression.objects.filter(pk=suppression.pk, lifted_at__isnull=True).update(
        lifted_at=timezone.now(), lifted_by=Suppression.LiftedBy.OWNER, lift_reason=reason[:500]
    )
    return None


def _count_for_run(event: FeedbackEvent) -> None:
    """Count the event in its run, once per delivery and kind: a report that arrives
    twice (a mailbox read again, an MTA retrying its DSN, a webhook after the reply at
    send time) is one bounced recipient, not two."""
    # The delivery's row lock orders two reports about it, so the later one sees the first.
    attempt_id = (
        Delivery.objects.select_for_update()
        .filter(pk=event.delivery_id)
        .values_list("attempt_id", flat=True)
        .first()
    )
    if attempt_id is None:
        return
    counted_before = (
        FeedbackEvent.objects.filter(delivery_id=event.delivery_id, kind=event.kind)
        .exclude(pk=event.pk)
        .exists()
    )
    if counted_before:
        return
    attempt_feedback_counted(attempt_id=attempt_id, counter=COUNTERS[event.kind])
    if event.kind != Kind.SOFT:
        _protect(attempt_id)


def _protect(attempt_id: int) -> None:
    """Pause a run under way whose hard bounces or complaints pass their rate."""
    attempt = (
        Attempt.objects.in_progress()
        .filter(pk=attempt_id, paused_at__isnull=True, pause_reason="")
        .select_related("mailing__owner")
        .first()
    )
    if attempt is None:
        return
    handed = Delivery.objects.filter(attempt_id=attempt_id, status__in=HANDED_OVER).count()
    if handed < settings.BOUNCE_PAUSE_MIN_SENT:
        return
    hard_rate = attempt.hard_bounce_count / handed
    complaint_rate = attempt.complaint_count / handed
    if hard_rate > settings.BOUNCE_PAUSE_HARD_RATE:
        reason = (
            f"Paused: {attempt.hard_bounce_count} of {handed} addresses bounced "
            f"({hard_rate:.1%}, the limit is {settings.BOUNCE_PAUSE_HARD_RATE:.1%})."
        )
    elif complaint_rate > settings.BOUNCE_PAUSE_COMPLAINT_RATE:
        reason = (
            f"Paused: {attempt.complaint_count} of {handed} recipients complained "
            f"({complaint_rate:.2%}, the limit is {settings.BOUNCE_PAUSE_COMPLAINT_RATE:.2%})."
        )
    else:
        return
    if attempt_pause_for_feedback(attempt_id=attempt_id, reason=reason):
        log.warning("Run %s of mailing %s: %s", attempt_id, attempt.mailing_id, reason)
        transaction.on_commit(lambda: _tell_about_pause(attempt, reason))


def _tell_about_pause(attempt: Attempt, reason: str) -> None:
    """An email to the owner and the managers; the run page shows the banner."""
    mailing = attempt.mailing
    managers = get_user_model().objects.filter(groups__name="Managers", is_active=True)
    recipients = {mailing.owner.email, *managers.values_list("email", flat=True)}
    link = settings.SITE_URL.rstrip("/") + reverse(
        "mailings:run_detail", args=[mailing.pk, attempt.pk]
    )
    with translation.override(settings.LANGUAGE_CODE):
        subject = gettext("A run of “%(mailing)s” was paused") % {"mailing": mailing}
        body = gettext(
            "%(reason)s\n\nThe rest of its recipients wait until the owner resumes the "
            "run: %(link)s\n\nBounces and complaints at this rate hurt the sender's "
            "reputation with the mailbox providers. Check where the addresses came from "
            "before resuming."
        ) % {"reason": reason, "link": link}
    send_mail(subject, body, None, sorted(recipients), fail_silently=True)
