"""Demo clients, messages, mailings and attempts for `seed_demo` (idempotent)."""


def seed_workspace(users: dict) -> None:
    """Filled in by the workspace work: users is keyed by the login's local part."""
