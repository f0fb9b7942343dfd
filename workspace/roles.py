"""Who may see what: an owner their own rows, an overseer (a manager) everyone's."""

from django.db import connection

OVERSEER_PERMISSION = "mailings.view_all_mailings"


def sees_everything(user) -> bool:
    """Managers (and superusers) oversee every workspace, read-only."""
    return user.is_authenticated and user.has_perm(OVERSEER_PERMISSION)


def row_id(raw: str) -> int | None:
    """A query parameter as a row id, or None when it cannot be one: text, a sign, or a
    number beyond the id column (which breaks the query instead of matching nothing)."""
    low, high = connection.ops.integer_field_range("BigIntegerField")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    value = int(raw)
    return value if low <= value <= high else None
