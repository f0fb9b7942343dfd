"""Events of the audience, for other rooms (webhooks) to hear without mailings or the
audience code knowing them."""

from django.dispatch import Signal

# A pending subscriber followed the double opt-in link and is now active. Send it inside
# the transaction that activates the client: `subscriber_confirmed.send(sender=<the
# confirming service>, client=client)`; extra keyword arguments are ignored.
subscriber_confirmed = Signal()
