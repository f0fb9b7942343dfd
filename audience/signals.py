"""Events of the audience for the rooms above (the engine, webhooks), which keep data
about clients that audience must not reach into."""

from django.dispatch import Signal

# A client is being erased (audience.privacy): each room forgets what names them. Sent
# inside the erasing transaction, before the client row goes:
# `client_erasing.send(sender=Client, client=client, addresses={...})`.
client_erasing = Signal()

# A client's data is being exported: each receiver returns a dict of the export's
# sections it keeps (say, {"deliveries": [...]}), JSON-ready.
client_exporting = Signal()
