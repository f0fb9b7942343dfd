"""Form fields the client form (and through it the API) takes audience data with."""

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .attributes import attribute_labels_of, clean_attributes
from .models import Tag

TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length
MAX_TAGS_PER_CLIENT = 50


class AttributesField(forms.Field):
    """A client's custom fields: one `name: value` a line on the page, an object of text
    values from the API. Either way they end up through `clean_attributes`."""

    widget = forms.Textarea(attrs={"rows": 4, "placeholder": "city: Казань\nplan: pro"})

    def to_python(self, value) -> Mapping:
        if value in self.empty_values:
            return {}
        if isinstance(value, Mapping):
            return value
        if not isinstance(value, str):
            raise ValidationError(_("Fields must be an object of names and text values."))
        if "\x00" in value:
            raise ValidationError(_("Null characters are not allowed."), code="null_characters")
        fields: dict[str, str] = {}
        for number, line in enumerate(value.splitlines(), start=1):
            if not line.strip():
                continue
            name, separator, text = line.partition(":")
            if not separator:
                raise ValidationError(
                    _("Line %(number)d: write a field as “name: value”."),
                    code="no_separator",
                    params={"number": number},
                )
            if name.strip() in fields:
                raise ValidationError(
                    _("Two fields are both named “%(key)s”."),
                    code="duplicate_key",
                    params={"key": name.strip()[:60]},
                )
            fields[name.strip()] = text
        return fields

    # Each key's name as the owner typed it, shown instead of the key; the form sets it.
    labels: Mapping[str, str] = {}

    def clean(self, value) -> dict[str, str]:
        raw = super().clean(value)
        # The names as typed this time, for the form to remember («Город» → gorod).
        self.typed_labels = attribute_labels_of(raw)
        return clean_attributes(raw)

    def prepare_value(self, value) -> str:
        if isinstance(value, Mapping):
            return "\n".join(f"{self.labels.get(key, key)}: {text}" for key, text in value.items())
        return value

    def has_changed(self, initial, data) -> bool:
        try:
            return clean_attributes(self.to_python(data)) != (initial or {})
        except ValidationError:
            return True


class TagsField(forms.CharField):
    """Tags as comma-separated names ("vip, купил в 2026"); a list from the API."""

    def to_python(self, value) -> list[str]:
        if isinstance(value, list | tuple):
            if not all(isinstance(name, str) for name in value):
                raise ValidationError(_("Tags must be names."), code="invalid")
            value = ",".join(value)
        text = super().to_python(value)
        names: dict[str, str] = {}
        for raw in text.split(","):
            name = " ".join(raw.split())
            if name:
                names.setdefault(name.lower(), name)
        return list(names.values())

    def validate(self, value: list[str]) -> None:
        if len(value) > MAX_TAGS_PER_CLIENT:
            raise ValidationError(
                _("At most %(max)d tags per client."), params={"max": MAX_TAGS_PER_CLIENT}
            )
        for name in value:
            if len(name) > TAG_MAX_LENGTH:
                raise ValidationError(
                    _("A tag is at most %(max)d characters: “%(name)s…”."),
                    params={"max": TAG_MAX_LENGTH, "name": name[:20]},
                )

    def run_validators(self, value) -> None:
        # The validators (NUL characters) look at the text as typed, not the name list.
        super().run_validators(",".join(value))

    def prepare_value(self, value) -> str:
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value
