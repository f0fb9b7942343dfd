from datetime import timedelta

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import connection
from django.utils import formats, timezone, translation
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from senders.models import Sender
from sending.markup import MAX_BODY_CHARS
from sending.models import Attempt

from .models import Client, Mailing, Message, validate_sane_date
from .selectors import subscribed_clients

MAX_IMPORT_BYTES = 5 * 1024 * 1024


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's own date-time picker; the value is in the user's time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ClientPicker(forms.widgets.ChoiceWidget):
    """Checkboxes in a scrollable box with a filter: usable with thousands of clients.

    Deliberately not a CheckboxSelectMultiple subclass: django-bootstrap5 would swap in
    its own template, which renders each option through an include (slow at 10,000).
    """

    allow_multiple_selected = True
    input_type = "checkbox"
    template_name = "mailings/widgets/client_picker.html"

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return False

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        # Only what get_context needs: Django's full option dict costs more than the HTML.
        return {"value": value, "label": label, "selected": selected}

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        checked = mark_safe(" checked")
        # One join instead of a template loop: 10,000 clients render in a blink.
        context["widget"]["options_html"] = format_html_join(
            "",
            '<label class="form-check" data-picker-item>'
            '<input class="form-check-input" type="checkbox" name="{}" value="{}"{}> {}</label>',
            (
                (name, option["value"], checked if option["selected"] else "", option["label"])
                for _group, options, _index in context["widget"]["optgroups"]
                for option in options
            ),
        )
        return context

    def use_required_attribute(self, initial):
        return False


class ClientLabelField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        # An id beyond the column's range breaks `pk__in` in the database (OverflowError
        # on SQLite, out of range on PostgreSQL) instead of matching nothing: it is
        # simply not one of the choices.
        low, high = connection.ops.integer_field_range("BigIntegerField")
        for pk in value:
            try:
                in_range = low <= int(pk) <= high
            except (TypeError, ValueError):
                continue  # Django's own check says it is not a valid id.
            if not in_range:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)

    def label_from_instance(self, obj: Client) -> str:
        label = str(obj)
        if obj.status == Client.Status.ACTIVE:
            return label
        return f"{label} — {obj.get_status_display().lower()}"


class OwnedModelForm(forms.ModelForm):
    """A form for one owner's object: the owner comes from the view, never from the POST."""

    def __init__(self, *args, owner, **kwargs):
        self.owner = owner
        super().__init__(*args, **kwargs)


class ClientForm(OwnedModelForm):
    class Meta:
        model = Client
        fields = ["email", "full_name", "comment"]
        widgets = {"comment": forms.Textarea(attrs={"rows": 3})}

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        # The database constraint names `owner`, which is not a form field, so Django's
        # own constraint validation skips it: check here for an error beside the field.
        taken = Client.objects.owned_by(self.owner).filter(email__iexact=email)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("You already have a client with this email."), code="duplicate"
            )
        return email


class MessageForm(OwnedModelForm):
    class Meta:
        model = Message
        fields = ["subject", "format", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 14})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left out (older scripts, the API): the message keeps its format.
        self.fields["format"].required = False
        self.fields["body"].max_length = MAX_BODY_CHARS
        self.fields["body"].validators.append(
            MaxLengthValidator(
                MAX_BODY_CHARS,
                _(
                    "The text is too long (%(show_value)s characters; at most "
                    "%(limit_value)s): paste the message itself, without embedded files."
                ),
            )
        )

    def clean_format(self) -> str:
        return self.cleaned_data["format"] or self.instance.format


class TestSendForm(forms.Form):
    """Where the test copy goes: the user's own address or one of their senders'."""

    to = forms.ChoiceField(label=_("Send a test to"))

    def __init__(self, *args, addresses: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(address, address) for address in addresses]


# A first send further back than this is more likely a typo than a wish to send at once.
PAST_START_ASKS_AFTER = timedelta(hours=1)


class MailingForm(OwnedModelForm):
    all_subscribed = forms.BooleanField(
        label=_("All my subscribed clients"),
        required=False,
        help_text=_("Ticked: every client of yours who has not unsubscribed, as of now."),
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
            "tracking",
        ]
        field_classes = {"clients": ClientLabelField}
        widgets = {
            "start_at": DateTimeLocalInput(),
            "end_at": DateTimeLocalInput(),
            "clients": ClientPicker(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the owner's rows are valid choices: a forged id is "not one of the choices".
        self.fields["message"].queryset = Message.objects.owned_by(self.owner)
        self.fields["clients"].queryset = Client.objects.owned_by(self.owner).only(
            "pk", "email", "full_name", "status"
        )
        self.fields["clients"].required = False
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

        if cleaned.get("all_subscribed"):
            cleaned["clients"] = subscribed_clients(self.owner)
            if not cleaned["clients"].exists():
                self.add_error("all_subscribed", _("You have no subscribed clients yet."))
        elif "clients" in cleaned and not cleaned["clients"]:
            self.add_error("clients", _("Choose at least one client, or tick “all”."))
        return cleaned

    def _start_moved(self, start_at) -> bool:
        """A new mailing, or its first send moved: an unchanged past start asks nothing.
        (The form shows minutes, so a stored start with seconds is not a move.)"""
        # A draft (a copy) has never been scheduled: its copied start counts as new.
        scheduled = self.instance.pk and self.instance.status != Mailing.Status.DRAFT
        stored = self.instance.start_at if scheduled else None
        return stored is None or abs(start_at - stored) >= timedelta(minutes=1)

    def save(self, commit: bool = True) -> Mailing:
        # The status and next run are the schedule service's (sending.services).
        mailing = super().save(commit=False)
        if not mailing.name:
            mailing.name = mailing.message.subject[: Mailing._meta.get_field("name").max_length]
        if commit:
            mailing.save()
            self.save_m2m()
        return mailing


class ClientImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8 or Windows-1251, comma or semicolon separated, up to 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": MAX_IMPORT_BYTES // 2**20}
            )
        return upload


class ReportFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=DateInput(), validators=[validate_sane_date]
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=DateInput(), validators=[validate_sane_date]
    )
    mailing = forms.ModelChoiceField(
        label=_("Mailing"), queryset=Mailing.objects.none(), required=False
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Attempt.Status.choices],
    )

    def __init__(self, *args, mailings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mailing"].queryset = mailings.select_related("message").order_by(
            "message__subject", "pk"
        )
        self.fields["mailing"].empty_label = _("All mailings")

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", _("The end of the range is before its start."))
        return cleaned
