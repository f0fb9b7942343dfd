"""Validators shared by the apps' forms (and so by the API, which validates through them)."""

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

# Names that end up in an email's headers (a list's name in its confirmation's Subject,
# a sender's name in From): a line break there would make every such email fail.
single_line = RegexValidator(
    r"[\r\n\u2028\u2029\x0b\x0c\x1c-\x1e\x85]",
    inverse_match=True,
    message=_("Enter the name on one line."),
    code="line_break",
)
