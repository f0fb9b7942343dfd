from django import forms
from django.utils.translation import gettext_lazy as _

from mailings.models import Mailing
from sending.models import Attempt
from workspace.forms import DateInput
from workspace.validators import validate_sane_date


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
