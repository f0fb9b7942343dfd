"""Events of the audience, for the rooms above it (webhooks) to hear without the
audience knowing them."""

from django.dispatch import Signal

# A pending subscriber followed the double opt-in link and is now active. Sent inside
# the transaction that activates the client (audience/status.py): `client`; extra
# keyword arguments are ignored.
subscriber_confirmed = Signal()
