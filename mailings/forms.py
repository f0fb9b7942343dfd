from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from audience.client_forms import client_label
from audience.models import Client, MailingList, Segment
from audience.recipients import targeted_clients
from audience.segments import RuleError, segment_q
from content.models import Message
from senders.models import Sender
from workspace.forms import DateTimeLocalInput, IdsInRangeField, OwnedModelForm

from .models import Mailing
from .selectors import subscribed_clients


class ClientPicker(forms.SelectMultiple):
    """A search-as-you-type picker: a search box asking /clients/search/ (a script of
    our own, from static files) and a <select multiple> holding only the chosen clients.

    Rendering every client as an option made the new-mailing page 17 MB with 100,000
    clients; this one is as large as the choice, whatever the owner's list.
    """

    template_name = "mailings/widgets/client_picker.html"

    def __init__(self, attrs=None):
        super().__init__({"class": "form-select", "size": 6, **(attrs or {})})

    def optgroups(self, name, value, attrs=None):
        chosen = [pk for pk in (str(v) for v in value or []) if pk.isdigit() and len(pk) < 19]
        queryset = self.choices.queryset.filter(pk__in=chosen).order_by("email")
        options = [
            self.create_option(
                name, client.pk, self.choices.field.label_from_instance(client), True, index
            )
            for index, client in enumerate(queryset)
        ]
        return [(None, options, 0)]

    def use_required_attribute(self, initial):
        return False


class ClientLabelField(IdsInRangeField):
    def label_from_instance(self, obj: Client) -> str:
        return client_label(obj)


# A first send further back than this is more likely a typo than a wish to send at once.
PAST_START_ASKS_AFTER = timedelta(hours=1)
SEND_NOW, SCHEDULE = "now", "schedule"
# What "send now" replaces: the mailing runs once, now.
SCHEDULE_FIELDS = ("start_at", "end_at", "periodicity")


class MailingForm(OwnedModelForm):
    # Offered while the mailing has never been scheduled (new, or a draft copy); the API
    # never sends it, so there it is always "schedule", as before.
    when = forms.ChoiceField(
        label=_("When"),
        choices=[(SEND_NOW, _("Send now, once")), (SCHEDULE, _("Schedule"))],
        widget=forms.RadioSelect,
        required=False,
        initial=SCHEDULE,
        help_text=_(
            "Sent now, the mailing goes out in a moment, once; the schedule's fields "
            "below are not used."
        ),
    )
    # The form's name for Mailing.all_clients (scripts and the API already send it).
    all_subscribed = forms.BooleanField(
        label=_("All my active clients"),
        required=False,
        help_text=_("Everyone who receives mail at the time of each run, new clients included."),
    )
    confirm_past_start = forms.BooleanField(
        label=_("Yes, the first send is in the past: send at once"),
        required=False,
    )

    class Meta:
        model = Mailing
        fields = [
            "name",
            "message",
            "sender",
            "language",
            "start_at",
            "end_at",
            "periodicity",
            "clients",
            "lists",
            "segment",
            "tracking",
        ]
        field_classes = {"clients": ClientLabelField, "lists": IdsInRangeField}
        widgets = {
            "start_at": DateTimeLocalInput(),
            "end_at": DateTimeLocalInput(),
            "clients": ClientPicker(),
            "lists": forms.CheckboxSelectMultiple(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.status != Mailing.Status.DRAFT:
            del self.fields["when"]  # a scheduled mailing has its "Send now" button
        self.sends_now = (
            "when" in self.fields and self.is_bound and self.data.get("when") == SEND_NOW
        )
        if self.sends_now:
            # The schedule's fields are not read at all (the page hides them): whatever
            # they hold, the mailing runs once, now.
            self.data = self.data.copy()
            for name in SCHEDULE_FIELDS:
                self.data.pop(name, None)
                self.fields[name].required = False
        # Only the owner's rows are valid choices: a forged id is "not one of the choices".
        self.fields["message"].queryset = Message.objects.owned_by(self.owner)
        self.fields["clients"].queryset = Client.objects.owned_by(self.owner).only(
            "pk", "email", "full_name", "status"
        )
        self.fields["clients"].required = False
        self.fields["clients"].help_text = _(
            "Type a name or an address to find a client; the chosen ones are selected in "
            "the list below (unselect one to leave it out)."
        )
        self.fields["lists"].queryset = MailingList.objects.owned_by(self.owner)
        self.fields["lists"].help_text = _("Their subscribed members at the time of each run.")
        self.fields["segment"].queryset = Segment.objects.owned_by(self.owner)
        self.fields["segment"].empty_label = _("No segment")
        self.fields["segment"].help_text = _("Its matches at the time of each run.")
        if self.instance.pk:
            self.initial["all_subscribed"] = self.instance.all_clients
        self.fields["name"].help_text = _(
            "Tells this mailing apart in lists and reports. Empty: the message's subject."
        )
        senders = Sender.objects.usable_by(self.owner)
        self.fields["sender"].queryset = senders
        self.fields["sender"].empty_label = _("The platform's address, with my name")
        self.fields["sender"].help_text = _(
            "Only confirmed senders are offered; add one under “Senders”."
        )
        # An older form (or a script) that sends no language keeps the default.
        self.fields["language"].required = False
        if not self.instance.pk:
            # A new mailing: model defaults are in `initial` already, ours replace them.
            default = senders.filter(is_default=True).first()
            self.initial["sender"] = default.pk if default else None
            current = translation.get_language() or ""
            self.initial["language"] = current if current in dict(settings.LANGUAGES) else "ru"
        zone = timezone.get_current_timezone_name()
        self.fields["start_at"].help_text = _("Your time zone: %(zone)s.") % {"zone": zone}
        self.fields["end_at"].help_text = _(
            "No run starts after this time. Needed for daily, weekly and monthly mailings."
        )

    def clean_language(self) -> str:
        if self.cleaned_data.get("language"):
            return self.cleaned_data["language"]
        return (
            self.instance.language if self.instance.pk else self.initial.get("language")
        ) or "ru"

    def clean(self):
        cleaned = super().clean()
        if self.sends_now:
            cleaned |= {
                "start_at": timezone.now(),
                "end_at": None,
                "periodicity": Mailing.Periodicity.ONCE,
            }
        start_at, end_at = cleaned.get("start_at"), cleaned.get("end_at")
        drafted = self.instance.status == Mailing.Status.DRAFT
        periodicity = cleaned.get("periodicity")
        if start_at and end_at and end_at <= start_at:
            self.add_error("end_at", _("The end must be after the first send."))
        elif periodicity and periodicity != Mailing.Periodicity.ONCE and not end_at:
            if "end_at" not in self.errors:
                self.add_error("end_at", _("A periodic mailing needs an end."))
        elif end_at and end_at <= timezone.now() and ("end_at" in self.changed_data or drafted):
            self.add_error("end_at", _("This time has passed: the mailing would never run."))
        if (
            start_at
            and "end_at" not in self.errors
            and start_at < timezone.now() - PAST_START_ASKS_AFTER
            and self._start_moved(start_at)
            and not cleaned.get("confirm_past_start")
        ):
            self.add_error(
                "confirm_past_start",
                _(
                    "The first send, %(when)s, is more than an hour ago: the mailing "
                    "would go out as soon as it is saved. Correct the date, or tick "
                    "this box to send at once."
                )
                % {
                    "when": formats.date_format(
                        timezone.localtime(start_at), "SHORT_DATETIME_FORMAT"
                    )
                },
            )

        if not any(cleaned.get(name) for name in TARGETS) and not any(
            name in self.errors for name in TARGETS
        ):
            self.add_error(
                "clients",
                _("Choose who receives it: clients, lists, a segment or all your clients."),
            )
        if cleaned.get("segment"):
            try:
                segment_q(cleaned["segment"])
            except RuleError as error:
                self.add_error("segment", error.message)
        if cleaned.get("all_subscribed") and not subscribed_clients(self.owner).exists():
            self.add_error("all_subscribed", _("You have no active clients yet."))
        return cleaned

    def _start_moved(self, start_at) -> bool:
        """A new mailing, or its first send moved: an unchanged past start asks nothing.
        (The form shows minutes, so a stored start with seconds is not a move.)"""
        # A draft (a copy) has never been scheduled: its copied start counts as new.
        scheduled = self.instance.pk and self.instance.status != Mailing.Status.DRAFT
        stored = self.instance.start_at if scheduled else None
        return stored is None or abs(start_at - stored) >= timedelta(minutes=1)

    def save(self, commit: bool = True) -> Mailing:
        # The status and next run are the schedule service's (mailings.lifecycle).
        mailing = super().save(commit=False)
        if not mailing.name:
            mailing.name = mailing.message.subject[: Mailing._meta.get_field("name").max_length]
        mailing.all_clients = bool(self.cleaned_data.get("all_subscribed"))
        if self.sends_now:
            # Not scheduled: its one run is asked for by mailing_send_now (the view's).
            mailing.status, mailing.next_run_at = Mailing.Status.CREATED, None
        if commit:
            mailing.save()
            self.save_m2m()
        return mailing


TARGETS = ("clients", "lists", "segment", "all_subscribed")


class MailingTargetsForm(forms.Form):
    """The recipients part of the mailing form alone: the count shown before saving."""

    clients = ClientLabelField(queryset=Client.objects.none(), required=False)
    lists = IdsInRangeField(queryset=MailingList.objects.none(), required=False)
    segment = forms.ModelChoiceField(queryset=Segment.objects.none(), required=False)
    all_subscribed = forms.BooleanField(required=False)

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.fields["clients"].queryset = Client.objects.owned_by(owner)
        self.fields["lists"].queryset = MailingList.objects.owned_by(owner)
        self.fields["segment"].queryset = Segment.objects.owned_by(owner)

    def recipient_count(self) -> int:
        """How many clients a run starting now would reach. Call after is_valid()."""
        cleaned = self.cleaned_data
        try:
            recipients = targeted_clients(
                self.owner,
                clients=[client.pk for client in cleaned["clients"]],
                lists=[mailing_list.pk for mailing_list in cleaned["lists"]],
                segment=cleaned["segment"],
                all_clients=cleaned["all_subscribed"],
            )
        except RuleError as error:
            raise forms.ValidationError(error.message) from None
        return recipients.receiving().count()
