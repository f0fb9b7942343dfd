import ipaddress
import re

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from transport.smtp import SendingPaused, SmtpSettings
from workspace.forms import OwnedModelForm
from workspace.validators import single_line

from .keys import KeyUnusable
from .models import Brand, Domain, Relay, Sender, email_domain
from .relays import TEST_SECONDS, relay_url, relay_url_fields
from .services import domain_normalise, domain_verified_by_another

HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)\Z")
# smtplib logs in with ASCII only (it encodes PLAIN and LOGIN so): anything else would
# fail at the first login, so it is refused here, where it can be corrected.
PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*\Z")


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


def relay_host_invalid() -> forms.ValidationError:
    return forms.ValidationError(
        _("Give the server's full name, such as smtp.example.com, or its IP address."),
        code="invalid_host",
    )


def relay_host(value: str) -> str:
    """A host name (IDN as punycode, lower-case) or an IP address, alone."""
    host = value.strip().rstrip(".").lower()
    if "://" in host or "/" in host or "@" in host or (host.count(":") == 1):
        raise forms.ValidationError(
            _(
                "Give the server's name alone, such as smtp.example.com: the port, the "
                "user and the password have fields of their own."
            ),
            code="not_a_host",
        )
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        if getattr(ip, "scope_id", None):  # fe80::1%eth0: a link of this machine's own
            raise relay_host_invalid()
        return str(ip)
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = ""
    labels = ascii_host.split(".")
    # A name without a dot is only ever on a private network (a container's "mailpit").
    bare = len(labels) < 2 and not settings.RELAY_ALLOW_PRIVATE
    if len(ascii_host) > 253 or bare or not all(map(HOST_LABEL.match, labels)):
        raise relay_host_invalid()
    return ascii_host


def login_text(value: str) -> str:
    if not PRINTABLE_ASCII.match(value):
        raise forms.ValidationError(
            _("Only Latin letters, digits and punctuation: a mail server login takes no other."),
            code="not_ascii",
        )
    return value


class RelayForm(forms.ModelForm):
    """The relay's server, port, security, user and password; the URL the engine reads
    is built from them. The password is asked for, never shown: left empty on a saved
    relay, the stored one stays. `save_anyway` is the answer to "it does not connect:
    save it all the same?" (RelayView asks)."""

    host = forms.CharField(
        label=_("Server"),
        max_length=300,
        help_text=_("Your provider's SMTP server, such as smtp.yandex.ru or smtp.gmail.com."),
    )
    port = forms.IntegerField(
        label=_("Port"),
        initial=587,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
        help_text=_("Usually 587 with STARTTLS, 465 with SSL/TLS, 25 without encryption."),
    )
    security = forms.ChoiceField(
        label=_("Security"),
        choices=[
            ("starttls", "STARTTLS"),
            ("ssl", "SSL/TLS"),
            ("none", _("None (not encrypted)")),
        ],
        initial="starttls",
    )
    username = forms.CharField(
        label=_("User name"),
        max_length=320,
        required=False,
        validators=[login_text],
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("Often your full email address; empty when the server needs no login."),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=1000,
        required=False,
        strip=False,
        validators=[login_text],
        # What the user just typed comes back with a check or a question, so that it
        # need not be typed again; a saved password never reaches the page.
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted and never shown again."),
    )
    save_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Relay
        fields = ["host", "port", "security", "username", "password", "rate", "connections"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored: dict | None = None  # the saved relay's fields, password included
        self.url = ""
        self.smtp_settings: SmtpSettings | None = None
        if self.instance.pk:
            try:
                self.stored = relay_url_fields(self.instance.url())
            except (KeyUnusable, SendingPaused):
                return  # every field must be given again, the password too
            for name in ("host", "port", "security", "username"):
                self.initial.setdefault(name, self.stored[name])
            if self.stored["password"]:
                self.fields["password"].help_text = _(
                    "Leave empty to keep the saved password; stored encrypted and never "
                    "shown again."
                )

    def clean_host(self) -> str:
        return relay_host(self.cleaned_data["host"])

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        username, password = data["username"], data["password"]
        if username and not password:
            if self.stored is not None and self.stored["password"]:
                password = self.stored["password"]  # empty on edit: the saved one stays
            elif self.instance.pk and self.stored is None:
                self.add_error(
                    "password", _("The saved password cannot be read any more: enter it again.")
                )
                return data
        if password and not username:
            self.add_error("username", _("Give the user name this password belongs to."))
            return data
        self.url = relay_url(
            host=data["host"],
            port=data["port"],
            security=data["security"],
            username=username,
            password=password,
        )
        try:
            # How the engine will read it back, for the check before saving.
            self.smtp_settings = SmtpSettings.from_url(
                self.url, timeout=TEST_SECONDS, public_only=True
            )
        except SendingPaused:
            self.add_error("host", relay_host_invalid())
        return data
