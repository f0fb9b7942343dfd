"""The engine's refused recipients become bounces (sending emits, feedback listens:
the engine knows nothing of the suppression policy)."""

from django.dispatch import receiver

from audience.models import Client
from sending.signals import deliveries_failed

from .models import FeedbackEvent


@receiver(deliveries_failed)
def bounces_at_send_time(sender, failures, **kwargs) -> None:
    # Imported here: connecting the receiver at every start (a cron command, a worker)
    # must not load the services' renderer and the report parsers.
    from .parsing import smtp_status
    from .services import feedback_record

    clients = Client.objects.in_bulk([failure.client_id for failure in failures])
    for failure in failures:
        client = clients.get(failure.client_id)
        if client is None:
            continue  # deleted meanwhile
        feedback_record(
            client=client,
            kind=FeedbackEvent.Kind.HARD if failure.permanent else FeedbackEvent.Kind.SOFT,
            source=FeedbackEvent.Source.SMTP,
            delivery_id=failure.delivery_id,
            status_code=smtp_status(failure.reply),
            server_response=failure.reply,
        )
