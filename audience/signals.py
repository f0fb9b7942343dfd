"""Events of the audience, for the rooms above it (webhooks) to hear without the
audience knowing them."""

from django.dispatch import Signal

# A pending subscriber followed the double opt-in link and is now active. Sent inside
# the transaction that activates the client (audience/status.py): `client`; extra
# keyword arguments are ignored.
subscriber_confirmed = Signal()

# A client is being erased (audience/privacy.py), inside the transaction that deletes it:
# `client`, and `addresses`, the spellings of its address to take out of what the rooms
# above keep (deliveries, servers' replies, webhook messages).
client_erasing = Signal()
