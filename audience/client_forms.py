"""The client's own forms: the client page's form (the API's too), the CSV upload and
its mapping step; how the pickers name a client."""

import dataclasses

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from workspace.forms import MAX_IMPORT_BYTES, IdsInRangeField, OwnedModelForm

from .attributes import (
    MAX_LABEL_LENGTH,
    attribute_key,
    attribute_keys_changed,
    attribute_labels,
    attribute_labels_note,
)
from .client_csv import ImportPlan, Target
from .fields import AttributesField, TagsField
from .models import Client, MailingList, Membership
from .selectors import subscribed_list_ids
from .services import client_lists_set, client_tags_set
from .status import client_hold
from .suppressions import suppression_of


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
            "Your own fields, one “name: value” a line (City: Kazan). A message writes "
            "each by its placeholder ({{ city }}): see Clients → Custom fields."
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
        if self.instance.attributes:
            self.fields["attributes"].labels = attribute_labels(
                self.owner.pk, self.instance.attributes
            )
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
            attribute_labels_note(self.owner.pk, self.fields["attributes"].typed_labels)
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
                client_hold(client=client, suppression=self.suppression)
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


class ClientImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "An export of Excel, 1C, Mailchimp or another service, up to 5 MB: the encoding "
            "and the separator are recognised, and you match the columns next."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": MAX_IMPORT_BYTES // 2**20}
            )
        return upload


class CustomFieldForm(forms.Form):
    """A custom field's name for people (its key, the placeholder, never changes)."""

    label = forms.CharField(
        label=pgettext_lazy("custom field", "Name"), max_length=MAX_LABEL_LENGTH
    )

    def __init__(self, *args, owner, key: str, **kwargs):
        self.owner, self.key = owner, key
        super().__init__(*args, **kwargs)

    def clean_label(self) -> str:
        label = " ".join(self.cleaned_data["label"].split())
        if not label:
            raise forms.ValidationError(_("Enter a name."), code="required")
        others = attribute_labels(self.owner.pk)
        others.pop(self.key, None)
        if label.casefold() in {other.casefold() for other in others.values()}:
            raise forms.ValidationError(
                _("Another field is already named “%(name)s”."),
                code="duplicate",
                params={"name": label},
            )
        return label


def names_columns(plan: ImportPlan) -> str:
    """Which columns name lists and tags: the mapping page's list of what an import
    creates holds for these columns only."""
    return " ".join(
        f"{target}{index}"
        for index, target in enumerate(plan.targets)
        if target in (Target.LISTS, Target.TAGS)
    )


class ClientImportMappingForm(forms.Form):
    """Each column of the file and where it goes, proposed from its name."""

    create_lists = forms.BooleanField(
        label=_("Create the lists I do not have yet"),
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    # The lists and tags columns whose new names the page showed.
    shown = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, plan: ImportPlan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.initial.setdefault("create_lists", plan.create_lists)
        self.initial.setdefault("shown", names_columns(plan))
        for index, name in enumerate(plan.header):
            choices = list(Target.choices)
            try:
                key = attribute_key(name)
            except ValidationError:
                choices = [choice for choice in choices if choice[0] != Target.FIELD]
            else:
                choices = [
                    (value, _("Custom field {{ %(key)s }}") % {"key": key})
                    if value == Target.FIELD
                    else (value, label)
                    for value, label in choices
                ]
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=name or _("(no name)"),
                choices=choices,
                initial=plan.targets[index],
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )

    def column_fields(self):
        return [self[f"column_{index}"] for index in range(len(self.plan.header))]

    def clean(self):
        cleaned = super().clean()
        targets = [cleaned.get(f"column_{index}") for index in range(len(self.plan.header))]
        if None in targets:
            return cleaned
        self.plan = dataclasses.replace(
            self.plan, targets=targets, create_lists=cleaned.get("create_lists", False)
        )
        if problems := self.plan.problems():
            raise ValidationError(problems)
        return cleaned
