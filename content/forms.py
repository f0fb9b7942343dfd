import re

from django import forms
from django.core.validators import MaxLengthValidator
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from audience.attributes import attribute_labels
from audience.placeholders import (
    BUILT_IN_NAMES,
    unknown_placeholders,
    unknown_placeholders_message,
)
from config.images import CheckedImageField
from workspace.forms import OwnedModelForm

from .attachments import ACCEPT as ATTACHMENT_TYPES
from .attachments import MAX_TOTAL_BYTES, check_attachment
from .markup import MAX_BODY_CHARS, as_html, clean
from .models import Message, MessageAttachment
from .services import body_with_image, message_image_create
from .stylesheet import Removal

# Another service's placeholders (Mailchimp's *|FNAME|*), which would go out as typed.
MERGE_TAG = re.compile(r"\*\|[A-Z0-9_:]{1,40}\|\*")


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
    """Several files at once (Django's recipe), each checked by content.attachments:
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
        self.removed: tuple[Removal, ...] = ()
        self.merge_tags: tuple[str, ...] = ()
        # The placeholders a message of this owner may use: built-in and custom fields,
        # each custom one beside the name the owner gave it ({{ gorod }} for «Город»).
        labels = attribute_labels(self.owner.pk)
        self.known_names = [*BUILT_IN_NAMES, *labels]
        known = ", ".join(
            [
                *(f"{{{{ {name} }}}}" for name in BUILT_IN_NAMES),
                *(
                    f"{{{{ {key} }}}} ({label})" if label != key else f"{{{{ {key} }}}}"
                    for key, label in labels.items()
                ),
            ]
        )
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

    def clean_body(self) -> str:
        """An HTML body is saved cleaned, as it will be sent; for Markdown, whose HTML is
        made at sending, only what would be taken out is noted. `removed` and `merge_tags`
        are for the view to tell (content.markup.describe)."""
        body = self.cleaned_data["body"]
        body_format = self.cleaned_data.get("format") or self.instance.format
        if body_format != Message.Format.PLAIN:
            cleaned = clean(as_html(body, body_format))
            self.removed = cleaned.removed
            if body_format == Message.Format.HTML:
                body = cleaned.stored
        self.merge_tags = tuple(dict.fromkeys(MERGE_TAG.findall(body)))
        return body

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
    """Where the test copy goes (the user's own address or one of their senders'), whom
    it is personalised as (a client the preview shows; none: sample data) and which
    mailing's sender it comes from (none: the user's default sender)."""

    to = forms.ChoiceField(
        label=_("Send a test to"),
        error_messages={
            "required": _("Choose one of your own addresses for the test."),
            "invalid_choice": _("Choose one of your own addresses for the test."),
        },
    )
    # Carried over from the preview: the test is the email shown there.
    client = forms.ModelChoiceField(
        queryset=None,
        required=False,
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": _("That client is not one of yours: choose one in the preview.")
        },
    )
    mailing = forms.ModelChoiceField(
        queryset=None,
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("That mailing does not send this message.")},
    )

    def __init__(self, *args, addresses: list[str], clients, mailings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(address, address) for address in addresses]
        self.fields["client"].queryset = clients
        self.fields["mailing"].queryset = mailings
