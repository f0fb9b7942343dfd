"""Cursor pages whose cursor is checked: a tampered one is a 400 that says so, never a
500 (DRF decodes the cursor but hands its position to the database unchecked)."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

# The largest id of a BigAutoField.
MAX_ID = 2**63 - 1


class CheckedCursorPagination(CursorPagination):
    """For orderings by id ("pk" or "-pk"): the position must be an id."""

    invalid_cursor_message = _(
        "Invalid cursor: use the next or previous link of a page as it was given."
    )

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = False
        position = getattr(cursor, "position", None)
        if cursor is False or (position is not None and not _is_id(position)):
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})
        return cursor


def _is_id(text: str) -> bool:
    # Length first: int() of a 200,000-digit string raises (and would be slow).
    return len(text) <= 19 and text.isascii() and text.isdigit() and int(text) <= MAX_ID
