"""Validators shared by the apps' forms (and so by the API, which validates through them)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

# Names that end up in an email's headers (a list's name in its confirmation's Subject,
# a sender's name in From): a line break there would make every such email fail.
single_line = RegexValidator(
    r"[\r\n\u2028\u2029\x0b\x0c\x1c-\x1e\x85]",
    inverse_match=True,
    message=_("Enter the name on one line."),
    code="line_break",
)


# The dates people mean: room for any mailing or report, and far enough from the ends
# of Python's calendar that moving between time zones or adding a period or a day never
# leaves it (0001-01-01 00:00 in Moscow is year 0 in UTC: OverflowError on save).
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)


def validate_sane_date(value: dt.date | dt.datetime) -> None:
    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(
            _("Choose a date from %(earliest)s to %(latest)s."),
            code="out_of_range",
            params={
                "earliest": date_format(EARLIEST_DATE, "SHORT_DATE_FORMAT"),
                "latest": date_format(LATEST_DATE, "SHORT_DATE_FORMAT"),
            },
        )
