"""Form parts every room's forms share."""

from django import forms
from django.db import connection

# The largest file a user may upload for an import (clients, suppressed addresses).
MAX_IMPORT_BYTES = 5 * 1024 * 1024


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's own date-time picker; the value is in the user's time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class IdsInRangeField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        # An id beyond the column's range breaks `pk__in` in the database (OverflowError
        # on SQLite, out of range on PostgreSQL) instead of matching nothing: it is
        # simply not one of the choices.
        low, high = connection.ops.integer_field_range("BigIntegerField")
        for pk in value:
            try:
                in_range = low <= int(pk) <= high
            except (TypeError, ValueError):
                continue  # Django's own check says it is not a valid id.
            if not in_range:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


class OwnedModelForm(forms.ModelForm):
    """A form for one owner's object: the owner comes from the view, never from the POST."""

    def __init__(self, *args, owner, **kwargs):
        self.owner = owner
        super().__init__(*args, **kwargs)
