from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Endpoint, EventType
from .network import UnsafeAddress, checked_address


class EndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=2000, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label=_("Events"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Endpoint
        fields = ["url", "description", "event_types"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            checked_address(url)
        except UnsafeAddress as error:
            raise forms.ValidationError(str(error), code="unsafe") from None
        return url
