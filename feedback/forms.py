from django import forms
from django.utils.translation import gettext_lazy as _

from audience.client_csv import ImportFileError, decode_upload
from audience.suppression_imports import (
    IMPORT_MAX_ADDRESSES,
    ReadAddresses,
    suppressed_addresses_read,
)
from workspace.forms import MAX_IMPORT_BYTES

# A pasted list: about 100,000 addresses, under the request's size limit.
MAX_PASTED_CHARS = 2_000_000


class SuppressionReactivateForm(forms.Form):
    reason = forms.CharField(
        label=_("Why may this address be mailed again?"),
        max_length=500,
        help_text=_("Kept with the address: for instance, “the mailbox works again”."),
    )


class SuppressionImportForm(forms.Form):
    """A list of addresses not to mail, as other services export it: pasted one a line,
    or a file (one a line, or CSV with an email column)."""

    addresses = forms.CharField(
        label=_("Addresses"),
        required=False,
        max_length=MAX_PASTED_CHARS,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "name@example.com"}),
        help_text=_("One address a line."),
    )
    file = forms.FileField(
        label=_("Or a file"),
        required=False,
        help_text=_(
            "One address a line, or a CSV export with an “email” or “Email Address” column "
            "(Mailchimp, listmonk, SendGrid and others), up to 5 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload and upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": MAX_IMPORT_BYTES // 2**20}
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        texts = [cleaned["addresses"]] if cleaned.get("addresses", "").strip() else []
        if upload := cleaned.get("file"):
            try:
                texts.append(decode_upload(upload.read()))
            except ImportFileError as error:
                self.add_error("file", str(error))
                return cleaned
        if not texts:
            raise forms.ValidationError(_("Paste the addresses, one a line, or choose a file."))
        read = ReadAddresses()
        for text in texts:
            part = suppressed_addresses_read(text)
            read.addresses += part.addresses
            read.problems += part.problems
        if len(read.addresses) > IMPORT_MAX_ADDRESSES:
            raise forms.ValidationError(
                _("At most %(max)d addresses at a time: split the list.")
                % {"max": IMPORT_MAX_ADDRESSES}
            )
        if not read.addresses:
            raise forms.ValidationError(_("No valid email address was found."))
        cleaned["read"] = read
        return cleaned
