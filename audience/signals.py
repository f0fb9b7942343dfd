"""Events of the audience for the rooms above (the engine, webhooks), which keep data
about clients or run the workers that audience must not reach into."""

from django.dispatch import Signal

# A pending subscriber followed the double opt-in link and is now active. Sent inside
# the transaction that activates the client (audience/status.py): `client`; extra
# keyword arguments are ignored.
subscriber_confirmed = Signal()

# A client is being erased (audience.privacy): each room forgets what names them. Sent
# inside the erasing transaction, before the client row goes:
# `client_erasing.send(sender=Client, client=client, addresses={...})`.
client_erasing = Signal()

# A client's data is being exported: each receiver returns a dict of the export's
# sections it keeps (say, {"deliveries": [...]}), JSON-ready.
client_exporting = Signal()

# A client import was stored, its transaction committed, and no Celery worker was given
# it: whoever runs the embedded scheduler wakes it, so that the import starts now rather
# than after the scheduler's sleep: `import_queued.send(sender=ClientImport, job_id=pk)`.
import_queued = Signal()
