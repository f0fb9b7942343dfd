from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audience.models import Client
from workspace.forms import DateInput, IdsInRangeField
from workspace.validators import validate_sane_date

from .models import ApiToken


class ApiTokenForm(forms.ModelForm):
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=DateInput(),
        validators=[validate_sane_date],
        help_text=_("Leave empty for a token that does not expire."),
    )

    class Meta:
        model = ApiToken
        fields = ["name", "read_only"]

    def clean_expires_on(self):
        day = self.cleaned_data.get("expires_on")
        if day and day <= timezone.localdate():
            raise forms.ValidationError(_("Choose a day after today."))
        return day

    def expires_at(self):
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        midnight = timezone.datetime.combine(day, timezone.datetime.min.time())
        return timezone.make_aware(midnight)


class ListMembersForm(forms.Form):
    """The clients to put on a list or take off it: the owner's own, or none at all."""

    clients = IdsInRangeField(queryset=Client.objects.none())

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clients"].queryset = Client.objects.owned_by(owner)
