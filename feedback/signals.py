"""What the suppression policy decided, for other rooms (webhooks) to hear without
feedback knowing them."""

from django.dispatch import Signal

# Sent inside the transaction of feedback_record when a bounce or a complaint changed a
# client's status: client, status (its new one: bounced or complained) and the
# FeedbackEvent that did it.
client_suppressed = Signal()
