"""Events for the rooms above (the engine, webhooks) to hear without mailings or the
audience code knowing them."""

from django.dispatch import Signal

# A pending subscriber followed the double opt-in link and is now active. Send it inside
# the transaction that activates the client: `subscriber_confirmed.send(sender=<the
# confirming service>, client=client)`; extra keyword arguments are ignored.
subscriber_confirmed = Signal()

# The mailing wants the engine's attention now: a run fell due on saving, "Send now" was
# pressed, or it was disabled (its run under way stops). The engine hears it and looks at
# the mailing once the transaction commits: `run_wanted.send(sender=Mailing,
# mailing_id=pk)`.
run_wanted = Signal()
