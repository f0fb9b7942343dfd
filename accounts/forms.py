from django import forms
from django.utils.translation import gettext_lazy as _

from .models import User
from .services import user_delete
from .time_zones import time_zone_choices


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "time_zone", "tracking"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices(current=self.instance.time_zone)


class BlockForm(forms.Form):
    reason = forms.CharField(label=_("Reason, shown to the user"), max_length=500, required=False)


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not correct."))
        return password

    def save(self) -> None:
        user_delete(user=self.user)
