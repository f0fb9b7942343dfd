"""Work was queued for the engine while Celery does the sending. Sent by
`services.nudge` after commit; `tasks` listens and enqueues the task that does it, so
that services never import tasks (tasks import services)."""

from django.dispatch import Signal

# mailing_id: the mailing to look at now, or None for the account emails' queue.
work_queued = Signal()

# Sent by the ledger inside the transaction that records the outcomes, so that a
# bounce is recorded exactly when its failure is. failures: a list of
# DeliveryFailure; `feedback` listens and applies its suppression policy.
deliveries_failed = Signal()

# Sent by the ledger inside the transaction that records them: deliveries the mail
# server refused for good or kept refusing until the tries ran out (delivery_ids), at
# `failed_at`. `webhooks` listens (delivery.failed).
deliveries_marked_failed = Signal()
