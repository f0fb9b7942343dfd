from datetime import timedelta

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db.models import Sum
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from audience.attributes import attribute_keys_changed, known_attribute_keys
from audience.fields import AttributesField, TagsField
from audience.models import Client, MailingList, Membership, Segment
from audience.placeholders import (
    BUILT_IN_NAMES,
    unknown_placeholders,
    unknown_placeholders_message,
)
from audience.recipients import targeted_clients
from audience.segments import RuleError, segment_q
from audience.selectors import subscribed_list_ids
from audience.services import client_lists_set, client_tags_set
from audience.suppressions import suppression_of
from config.images import CheckedImageField
from senders.models import Sender
from sending.markup import MAX_BODY_CHARS
from workspace.forms import (
    MAX_IMPORT_BYTES,
    DateTimeLocalInput,
    IdsInRangeField,
    OwnedModelForm,
)

from .attachments import ACCEPT as ATTACHMENT_TYPES
from .attachments import MAX_TOTAL_BYTES, check_attachment
from .models import Mailing, Message, MessageAttachment
from .selectors import subscribed_clients
from .services import body_with_image, message_image_create


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


def client_label(client: Client) -> str:
    """A client as the picker names it, with why it receives nothing when it does not."""
    label = str(client)
    if client.status == Client.Status.ACTIVE:
        return label
    return f"{label} — {client.get_status_display().lower()}"


class ClientForm(OwnedModelForm):
    attributes = AttributesField(
        label=_("Fields"),
        required=False,
        help_text=_(
            "Your own fields, one “name: value” a line; a message uses them as {{ name }}."
        ),
    )
    tags = TagsField(
        label=_("Tags"), required=False, help_text=_("Separated by commas: vip, bought in 2026.")
    )
    lists = IdsInRangeField(
        label=_("Lists"),
        queryset=MailingList.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The lists the client is on. A list it left or has not confirmed yet only the "
            "client can join, from its email."
        ),
    )

    class Meta:
        model = Client
        fields = ["email", "full_name", "comment", "attributes"]
        widgets = {"comment": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lists"].queryset = MailingList.objects.owned_by(self.owner)
        if self.instance.pk:
            self.initial.setdefault("tags", [tag.name for tag in self.instance.tags.all()])
            self.initial.setdefault("lists", subscribed_list_ids(self.instance))

    def _save_m2m(self):
        super()._save_m2m()
        if "tags" in self.changed_data:
            client_tags_set(client=self.instance, names=self.cleaned_data["tags"])
        if "lists" in self.changed_data:
            client_lists_set(client=self.instance, lists=list(self.cleaned_data["lists"]))
        if "attributes" in self.changed_data:
            attribute_keys_changed(self.owner.pk)

    def clean_lists(self):
        lists = self.cleaned_data["lists"]
        if self.instance.pk:
            # The recipient's own choice (left, or asked and not confirmed yet) stands.
            held = (
                self.instance.memberships.filter(mailing_list__in=lists)
                .exclude(status=Membership.Status.SUBSCRIBED)
                .values_list("mailing_list__name", flat=True)
            )
            if held:
                raise forms.ValidationError(
                    _("Only the client can join these lists: %(lists)s.")
                    % {"lists": ", ".join(sorted(held))},
                    code="recipients_choice",
                )
        return lists

    def save(self, commit=True):
        # An address the owner's suppression list holds keeps its status, however it
        # comes back (added, or typed over another client's address).
        self.suppression = None
        client = self.instance
        new_address = not client.pk or "email" in self.changed_data
        if client.status == Client.Status.ACTIVE and new_address:
            self.suppression = suppression_of(owner_id=self.owner.pk, email=client.email)
            if self.suppression is not None:
                self.suppression.hold(client)
        return super().save(commit)

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


def message_image_field(*, required: bool) -> CheckedImageField:
    return CheckedImageField(
        label=_("Image"),
        required=required,
        keeps_frames=True,
        help_text=_(
            "JPEG, PNG, WebP or GIF, up to 5 MB. Made at most 1200 pixels wide, without its "
            "metadata, and shown in emails from this site."
        ),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files at once (Django's recipe), each checked by mailings.attachments:
    the field's value is a list of (name, content type, content)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, (list, tuple)) else [data]
        checked, errors = [], []
        for upload in uploads:
            upload = super().clean(upload, initial)
            if not upload:
                continue
            try:
                checked.append(check_attachment(upload))
            except forms.ValidationError as error:
                errors.extend(error.error_list)
        if errors:
            raise forms.ValidationError(errors)
        return checked

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "accept": ATTACHMENT_TYPES}


class MessageForm(OwnedModelForm):
    image = message_image_field(required=False)
    attachments = AttachmentsField(
        label=_("Attachments"),
        required=False,
        help_text=_(
            "PDF, PNG, JPEG, GIF, DOCX, XLSX, ODT, ODS, TXT or CSV; 5 MB in all. Sent with "
            "every email of this message."
        ),
    )

    class Meta:
        model = Message
        fields = ["subject", "format", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 14})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The placeholders a message of this owner may use: built-in and custom fields.
        self.known_names = [*BUILT_IN_NAMES, *known_attribute_keys(self.owner.pk)]
        known = ", ".join(f"{{{{ {name} }}}}" for name in self.known_names)
        self.fields["body"].help_text = _(
            "Replaced per recipient: %(known)s. With a fallback for clients without the "
            'field: {{ city | "friend" }}.'
        ) % {"known": known}
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

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("image") and cleaned.get("format") == Message.Format.PLAIN:
            self.add_error(
                "image",
                forms.ValidationError(
                    _("Images show in Markdown and HTML messages: choose one of those formats."),
                    code="plain_text",
                ),
            )
        known = frozenset(self.known_names)
        for name in ("subject", "body"):
            if unknown := unknown_placeholders(cleaned.get(name) or "", known):
                self.add_error(name, unknown_placeholders_message(unknown, self.known_names))
        return cleaned

    def clean_attachments(self) -> list[tuple[str, str, bytes]]:
        added = self.cleaned_data["attachments"]
        kept = (
            self.instance.attachments.aggregate(total=Sum("size"))["total"]
            if self.instance.pk
            else 0
        )
        total = (kept or 0) + sum(len(data) for _name, _type, data in added)
        if total > MAX_TOTAL_BYTES:
            raise forms.ValidationError(
                _("Attachments may come to 5 MB in all; these would make %(size)s MB."),
                code="too_big",
                params={"size": f"{total / 1024 / 1024:.1f}"},
            )
        return added

    def save(self, commit: bool = True) -> Message:
        upload = self.cleaned_data.get("image")
        if upload:
            picture = message_image_create(owner=self.owner, upload=upload)
            self.instance.body = body_with_image(self.instance.body, self.instance.format, picture)
        message = super().save(commit)
        if commit:
            MessageAttachment.objects.bulk_create(
                MessageAttachment(
                    message=message, name=name, content_type=content_type, data=data, size=len(data)
                )
                for name, content_type, data in self.cleaned_data.get("attachments") or []
            )
        return message


class MessageImageForm(forms.Form):
    image = message_image_field(required=True)


class TestSendForm(forms.Form):
    """Where the test copy goes: the user's own address or one of their senders'."""

    to = forms.ChoiceField(label=_("Send a test to"))

    def __init__(self, *args, addresses: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(address, address) for address in addresses]


# A first send further back than this is more likely a typo than a wish to send at once.
PAST_START_ASKS_AFTER = timedelta(hours=1)


class MailingForm(OwnedModelForm):
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
