"""The first-week guide on a new user's home page: add a sender → import clients →
write a message → send a test → send a mailing. Each step ticks itself from the rows the
user made, not from a flag they set, and leads to the page that does it. The guide is
gone once the user has a mailing (sent now or scheduled): the journey's last step is
taken, and a step left out on the way (the test) does not keep it there for ever.

An account past the guide is remembered in the cache for good (set when a mailing is
created, dashboard/signals.py): their home page asks the database nothing more for it,
as the figures' steady state asks nothing.
"""

from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default

from django.core.cache import cache
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from audience.models import Client
from content.models import Message
from mailings.models import Mailing
from senders.models import Sender
from senders.selectors import test_send_addresses
from sending.models import QueuedEmail

FINISHED_KEY = "onboarding:finished:{}"


@dataclass(frozen=True)
class Step:
    title: Promise
    text: Promise
    done: bool
    url: str
    action: Promise
    # What holds the step back when the user did their part (a link not yet followed).
    waiting: Promise | None = None


@dataclass(frozen=True)
class Checklist:
    steps: list[Step]

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)


def sent_a_test_copy(owner) -> bool:
    """Whether the owner had a test copy queued: an email as a mailing sends it (with
    List-Unsubscribe, which account emails never carry) to one of their own addresses,
    in the account-mail queue. That queue keeps a week (QUEUED_EMAIL_KEEP_DAYS): a test
    older than that no longer counts, which only matters before the first run."""
    queued = (
        QueuedEmail.objects.filter(recipient__in=test_send_addresses(owner))
        .order_by("-pk")
        .values_list("data", flat=True)
    )
    parser = BytesHeaderParser(policy=default)
    for data in queued.iterator():
        raw = bytes(data)
        head = raw[: raw.find(b"\r\n\r\n") + 2] if b"\r\n\r\n" in raw else raw
        if "List-Unsubscribe" in parser.parsebytes(head):
            return True
    return False


def onboarding_finished(owner_id: int) -> None:
    cache.set(FINISHED_KEY.format(owner_id), True, None)


def onboarding_checklist(owner) -> Checklist | None:
    """The guide with each step's state; None once the owner has a mailing."""
    if cache.get(FINISHED_KEY.format(owner.pk)):
        return None
    if Mailing.objects.owned_by(owner).exists():
        onboarding_finished(owner.pk)  # an account from before the guide, or a lost key
        return None
    sender_ready = Sender.objects.usable_by(owner).exists()
    sender_waiting = not sender_ready and Sender.objects.owned_by(owner).exists()
    latest_message = Message.objects.owned_by(owner).order_by("-pk").values("pk").first()
    return Checklist(
        steps=[
            Step(
                title=pgettext_lazy("onboarding step", "Add a sender"),
                text=_("The name and address your clients see your mail come from."),
                done=sender_ready,
                url=reverse("senders:sender_list" if sender_waiting else "senders:sender_create"),
                action=_("Add a sender"),
                waiting=_("Confirm the address: follow the link in the email we sent to it.")
                if sender_waiting
                else None,
            ),
            Step(
                title=pgettext_lazy("onboarding step", "Import your clients"),
                text=_("A CSV file from your shop, Excel or another service, or one by one."),
                done=Client.objects.owned_by(owner).exists(),
                url=reverse("mailings:client_import"),
                action=_("Import clients"),
            ),
            Step(
                title=pgettext_lazy("onboarding step", "Write a message"),
                text=_("Plain text, Markdown or your designed HTML, with the client's name."),
                done=latest_message is not None,
                url=reverse("mailings:message_create"),
                action=_("Write a message"),
            ),
            Step(
                title=pgettext_lazy("onboarding step", "Send yourself a test"),
                text=_("See the email in your own inbox as a client will get it."),
                done=sent_a_test_copy(owner),
                url=reverse("mailings:message_preview", args=[latest_message["pk"]])
                if latest_message
                else reverse("mailings:message_create"),
                action=_("Preview and test"),
            ),
            Step(
                title=pgettext_lazy("onboarding step", "Send your first mailing"),
                text=_("Now or on a schedule, to clients, lists or a segment."),
                done=False,  # a mailing ends the guide
                url=reverse("mailings:mailing_create"),
                action=_("New mailing"),
            ),
        ]
    )
