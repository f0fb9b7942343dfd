"""What the rest of the site may ask of the sending engine. Nothing here sends: it
records the wish in the database and, once the transaction commits, nudges whoever
sends (the embedded scheduler, or a Celery worker when CELERY_BROKER_URL is set)."""

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Replace
from django.utils import timezone
from django.utils.translation import gettext

from audience.models import Client
from config.limits import limit_hit
from content.renderer import Renderer, recipient_as
from mailings.models import Mailing

from .conf import celery_enabled
from .heartbeat import wake
from .models import Attempt, Delivery, QueuedEmail
from .signals import work_queued


def nudge(mailing_id: int | None = None) -> None:
    """Have the sender look at the mailing (or, with None, at the account emails) now
    rather than at its next pass. After commit, never inside the request: the sender
    must see the committed rows."""

    def send() -> None:
        if celery_enabled():
            work_queued.send(sender=nudge, mailing_id=mailing_id)
        else:
            wake()

    transaction.on_commit(send)


@transaction.atomic
def attempt_resend(*, attempt: Attempt, include_unknown: bool = False) -> int:
    """Send a finished run again to its failed (and optionally unknown) recipients only.

    Rows already sent are never touched. The run is reopened and its rows go back to
    pending with their tries reset; returns how many will be sent again.
    """
    statuses = [Delivery.Status.FAILED]
    if include_unknown:
        statuses.append(Delivery.Status.UNKNOWN)
    # An erased recipient (audience.privacy) has no address left to send to.
    again = Delivery.objects.filter(attempt=attempt, status__in=statuses).exclude(email="")
    if not again.exists():
        return 0
    # Locked, as a claim's UPDATE of the mailing would: the two take turns.
    mailing = (
        Mailing.objects.select_for_update(of=("self",))
        .select_related("owner")
        .get(pk=attempt.mailing_id)
    )
    # One run of a mailing at a time: not while another one is under way (and the
    # database refuses a second one if a claim got there between the check and now).
    busy = mailing.attempts.in_progress().exists()
    if busy or mailing.status == Mailing.Status.DISABLED or not mailing.owner.is_active:
        return 0
    try:
        # A condition on the row's own column, so that two clicks reopen it once.
        with transaction.atomic():
            reopened = (
                Attempt.objects.filter(pk=attempt.pk)
                .exclude(status=Attempt.Status.IN_PROGRESS)
                .update(status=Attempt.Status.IN_PROGRESS, finished_at=None)
            )
    except IntegrityError:
        return 0
    if not reopened:
        return 0
    count = again.update(
        status=Delivery.Status.PENDING,
        tries=0,
        next_try_at=None,
        claimed_at=None,
        server_response="",
    )
    attempt.status, attempt.finished_at = Attempt.Status.IN_PROGRESS, None
    nudge(attempt.mailing_id)
    return count


def attempt_feedback_counted(*, attempt_id: int, counter: str) -> None:
    """One more bounced or complaining recipient in the run's figures (`counter` is one
    of Attempt's *_bounce_count / complaint_count fields); feedback reports each once."""
    Attempt.objects.filter(pk=attempt_id).update(**{counter: F(counter) + 1})


def attempt_engagement_counted(
    *, attempt_id: int, openers: int, clickers: int, machine_opens: int, machine_clicks: int
) -> None:
    """The run's unique human and machine figures, as tracking counted them again."""
    Attempt.objects.filter(pk=attempt_id).update(
        open_count=openers,
        click_count=clickers,
        machine_open_count=machine_opens,
        machine_click_count=machine_clicks,
    )


def attempt_pause_for_feedback(*, attempt_id: int, reason: str) -> bool:
    """Stop sending a run under way whose bounces or complaints show a problem (a bought
    list, a broken import): its pending recipients wait until the owner resumes it.
    True only for the call that paused it; a run its owner resumed is not paused again."""
    paused = (
        Attempt.objects.in_progress()
        .filter(pk=attempt_id, paused_at__isnull=True, pause_reason="")
        .update(paused_at=timezone.now(), pause_reason=reason[:2000])
    )
    return bool(paused)


def attempt_resume(*, attempt: Attempt) -> bool:
    """The owner looked into it: the paused run sends its pending recipients again."""
    resumed = Attempt.objects.filter(pk=attempt.pk, paused_at__isnull=False).update(paused_at=None)
    if resumed:
        attempt.paused_at = None
        nudge(attempt.mailing_id)
    return bool(resumed)


# A test send is for looking at the email, not for mailing people: a few a minute.
TEST_SENDS_PER_MINUTE = 5


class TestSendLimited(Exception):
    """Too many test sends this minute; try again shortly."""


def message_test_send(*, message, owner, to: str, client=None, mailing=None) -> None:
    """Queue one copy of `message` to `to` (one of `test_send_addresses(owner)`), the email
    the preview shows: personalised as `client` (None: the preview's sample recipient),
    from `mailing`'s sender in its language (None: the owner's default sender; see
    Renderer.for_message). Through the account-mail queue: sent by the worker, never in
    the request; not a run, so in no report. The subject says it is a test. Raises
    TestSendLimited past TEST_SENDS_PER_MINUTE (no limit while the cache is down: a few
    extra test emails to oneself harm nobody)."""
    if not limit_hit(
        scope="test-send", ident=str(owner.pk), limit=TEST_SENDS_PER_MINUTE, window=60
    ):
        raise TestSendLimited
    renderer = Renderer.for_message(
        message, mailing=mailing, subject_prefix=gettext("[Test] "), signed=True
    )
    email = renderer.render(recipient_as(client), to=to)
    QueuedEmail.objects.create(
        envelope_from=renderer.envelope.from_address if renderer.envelope else email.envelope_from,
        recipient=email.envelope_to,
        data=email.data,
    )
    nudge()


# Stored like a server's reply, so not translated.
NOT_SENT_ERASED = "Not sent: the recipient's data was erased."


def _without(column: str, addresses: set[str]):
    """`column` with every address in it replaced by nothing."""
    expression = F(column)
    for address in addresses:
        expression = Replace(expression, Value(address), Value(""))
    return expression


def deliveries_forget_client(*, client: Client, addresses: set[str]) -> None:
    """The client is erased: their deliveries stay, counted as before, but no longer
    say who they went to; one still waiting in a run under way is failed, not sent."""
    deliveries = Delivery.objects.filter(client=client)
    deliveries.filter(status=Delivery.Status.PENDING).update(
        status=Delivery.Status.FAILED, server_response=NOT_SENT_ERASED
    )
    Attempt.objects.filter(pk__in=deliveries.values("attempt_id")).update(
        server_response=_without("server_response", addresses)
    )
    deliveries.update(
        client=None,
        email="",
        full_name="",
        server_response=_without("server_response", addresses),
    )


def deliveries_export(client: Client) -> list[dict]:
    """What each run sent the client, for their data export."""
    deliveries = (
        Delivery.objects.filter(client=client)
        .select_related("attempt__mailing__message")
        .order_by("attempt__started_at", "pk")
    )
    return [
        {
            "date": delivery.sent_at or delivery.attempt.started_at,
            "mailing": delivery.attempt.mailing.title,
            "subject": delivery.attempt.mailing.message.subject,
            "email": delivery.email,
            "status": delivery.status,
            "server_response": delivery.server_response,
        }
        for delivery in deliveries.iterator(chunk_size=500)
    ]
