"""Events of mailings for the rooms above (the engine) to hear without mailings knowing
them."""

from django.dispatch import Signal

# The mailing wants the engine's attention now: a run fell due on saving, "Send now" was
# pressed, or it was disabled (its run under way stops). The engine hears it and looks at
# the mailing once the transaction commits: `run_wanted.send(sender=Mailing,
# mailing_id=pk)`.
run_wanted = Signal()
