from django import forms
from django.utils.translation import gettext_lazy as _


class ResendForm(forms.Form):
    include_unknown = forms.BooleanField(
        label=_("Also those whose delivery is unknown"),
        help_text=_(
            "The connection broke after these messages were handed over: the server may "
            "already have delivered them, so they might get a second copy."
        ),
        required=False,
    )
