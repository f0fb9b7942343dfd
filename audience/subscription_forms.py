from django import forms
from django.utils.translation import gettext_lazy as _

from .captcha import solution_accepted

# The honeypot: a field people never see (it is off-screen) and bots fill in.
HONEYPOT = "website"


class SubscribeForm(forms.Form):
    """The public form of a list (SPEC §6: fields `email`, `full_name`)."""

    email = forms.EmailField(label=_("Email"), max_length=254)
    full_name = forms.CharField(label=_("Name"), max_length=255, required=False)
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    # Filled in by the ALTCHA widget with its solved challenge.
    altcha = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, captcha: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.captcha = captcha

    @property
    def is_bot(self) -> bool:
        """The honeypot is filled in (the answer is accepted and forgotten)."""
        return bool(self.data.get(HONEYPOT, "").strip())

    def clean_altcha(self) -> str:
        payload = self.cleaned_data["altcha"]
        if self.captcha and not solution_accepted(payload):
            raise forms.ValidationError(
                _("Tick “I'm not a robot” and wait until it says it is verified."),
                code="captcha",
            )
        return payload
