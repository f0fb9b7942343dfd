"""The token of a client's unsubscribe link: made by the renderer for each email
(content.renderer), read back by the unsubscribe page."""

from django.core import signing

# The salt of the first tokens, kept: emails already sent must still unsubscribe.
UNSUBSCRIBE_SALT = "sending.unsubscribe"


def _is_id(value) -> bool:
    # Within the id column: a larger number breaks the query instead of matching nothing.
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def unsubscribe_target(token: str) -> tuple[int, int | None] | None:
    """(client id, mailing id or None) a token was made for, or None when not made by us.
    Tokens hold the client alone (older emails) or the client and the mailing."""
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        return None
    if _is_id(value):
        return value, None
    if isinstance(value, list) and len(value) == 2 and all(_is_id(v) for v in value):
        return value[0], value[1]
    return None
