from django import forms
from django.utils.translation import gettext_lazy as _

from transport.smtp import SendingPaused, SmtpSettings
from workspace.forms import OwnedModelForm
from workspace.validators import single_line

from .models import Brand, Domain, Relay, Sender, email_domain
from .relays import relay_url_summary
from .services import domain_normalise, domain_verified_by_another


class SenderForm(OwnedModelForm):
    class Meta:
        model = Sender
        fields = ["name", "email", "reply_to", "postal_address", "is_default"]
        widgets = {"postal_address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "name": _("What recipients see as the sender, such as your shop's name."),
            "email": _(
                "Usable once it followed the link we send to it, or at once when its domain "
                "is one of your verified domains."
            ),
            "reply_to": _("Where replies go; empty: to the sender's address."),
        }

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        single_line(name)
        return name

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        taken = Sender.objects.owned_by(self.owner).filter(email__iexact=email)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("You already have a sender with this address."), code="duplicate"
            )
        if domain_verified_by_another(owner=self.owner, address=email):
            raise forms.ValidationError(
                _(
                    "The domain %(domain)s is verified by another account: only that account "
                    "may send from its addresses."
                ),
                code="foreign_domain",
                params={"domain": email_domain(email)},
            )
        return email

    def save(self, commit: bool = True) -> Sender:
        sender = super().save(commit=False)
        if "email" in self.changed_data:
            # A new address must prove itself again.
            sender.confirmed_at = None
        if commit:
            sender.save()
        return sender


class DomainForm(forms.Form):
    domain = forms.CharField(
        label=_("Domain"),
        max_length=253,
        help_text=_("The part after @ in your sender addresses, such as shop.example."),
    )

    def __init__(self, *args, owner, **kwargs):
        self.owner = owner
        super().__init__(*args, **kwargs)

    def clean_domain(self) -> str:
        domain = domain_normalise(self.cleaned_data["domain"])
        if Domain.objects.owned_by(self.owner).filter(domain=domain).exists():
            raise forms.ValidationError(_("You have already added this domain."), code="duplicate")
        return domain


class BrandForm(forms.ModelForm):
    logo_url = Brand._meta.get_field("logo_url").formfield(assume_scheme="https")

    class Meta:
        model = Brand
        fields = ["logo_url", "accent_color", "footer_text"]
        widgets = {
            "accent_color": forms.TextInput(attrs={"type": "color"}),
            "footer_text": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_logo_url(self) -> str:
        url = self.cleaned_data["logo_url"]
        if url and not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError(_("Give the address of an image on the web (https://…)."))
        return url


class RelayForm(forms.ModelForm):
    """The relay's URL is asked for, never shown: left empty, the stored one stays."""

    url = forms.CharField(
        label=_("SMTP URL"),
        max_length=2000,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Such as smtp+tls://user:password@smtp.example.com:587 (smtp+ssl:// for port "
            "465). Stored encrypted and never shown again; leave empty to keep the saved one."
        ),
    )

    class Meta:
        model = Relay
        fields = ["url", "rate", "connections"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if not url:
            if not self.instance.pk:
                raise forms.ValidationError(_("Give the relay's SMTP URL."), code="required")
            return ""
        try:
            SmtpSettings.from_url(url, timeout=1)
            relay_url_summary(url)
        except (SendingPaused, ValueError) as error:
            raise forms.ValidationError(
                _(
                    "Give an address such as smtp+tls://user:password@smtp.example.com:587 "
                    "(smtp://, smtp+tls:// or smtp+ssl://, with a host name)."
                ),
                code="invalid",
            ) from error
        return url
