from django import forms
from django.utils.translation import gettext_lazy as _

from workspace.forms import OwnedModelForm
from workspace.validators import single_line

from .fields import TAG_MAX_LENGTH
from .models import MailingList, Tag
from .services import owner_lists_by_lowered_name, tag_rename, tags_by_lowered_name


class MailingListForm(OwnedModelForm):
    class Meta:
        model = MailingList
        fields = ["name", "description", "double_opt_in", "language", "captcha"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        single_line(name)
        # The constraint names `owner`, not a form field: Django's own check skips it.
        # Compared in Python: SQLite's LOWER() leaves Cyrillic as it is.
        taken = owner_lists_by_lowered_name(self.owner).get(name.lower())
        if taken is not None and taken != self.instance.pk:
            raise forms.ValidationError(
                _("You already have a list with this name."), code="duplicate"
            )
        return name


class TagForm(OwnedModelForm):
    """A tag made on its own (the tags page, the API's /tags/) or renamed; client forms
    make theirs by name."""

    class Meta:
        model = Tag
        fields = ["name"]

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Name the tag."), code="required")
        taken = tags_by_lowered_name(self.owner).get(name.lower())
        # Its own name in another case is a rename, not a clash.
        if taken is not None and taken.pk != self.instance.pk:
            raise forms.ValidationError(
                _("You already have a tag with this name."), code="duplicate"
            )
        return name

    def save(self, commit: bool = True) -> Tag:
        if self.instance.pk is None or not commit:
            return super().save(commit)
        tag_rename(tag=self.instance, name=self.cleaned_data["name"])
        return self.instance


class BulkActionForm(forms.Form):
    """What to do with every client a search matches."""

    ADD_TO_LIST = "add_to_list"
    REMOVE_FROM_LIST = "remove_from_list"
    ADD_TAG = "add_tag"
    REMOVE_TAG = "remove_tag"

    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            (ADD_TO_LIST, _("Add to the list")),
            (REMOVE_FROM_LIST, _("Remove from the list")),
            (ADD_TAG, _("Add the tag")),
            (REMOVE_TAG, _("Remove the tag")),
        ],
    )
    target_list = forms.ModelChoiceField(
        label=_("List"), queryset=MailingList.objects.none(), required=False
    )
    tag_name = forms.CharField(label=_("Tag"), max_length=TAG_MAX_LENGTH, required=False)

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.fields["target_list"].queryset = MailingList.objects.owned_by(owner)

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action in (self.ADD_TO_LIST, self.REMOVE_FROM_LIST):
            if not cleaned.get("target_list") and "target_list" not in self.errors:
                self.add_error("target_list", _("Choose a list."))
        elif action in (self.ADD_TAG, self.REMOVE_TAG):
            name = " ".join((cleaned.get("tag_name") or "").split())
            if not name:
                if "tag_name" not in self.errors:
                    self.add_error("tag_name", _("Name the tag."))
            elif action == self.REMOVE_TAG:
                cleaned["tag"] = tags_by_lowered_name(self.owner).get(name.lower())
                if cleaned["tag"] is None:
                    self.add_error("tag_name", _("You have no tag with this name."))
            cleaned["tag_name"] = name
        return cleaned
