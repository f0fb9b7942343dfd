"""Demo blog posts with generated images for `seed_demo` (idempotent)."""


def seed_posts(users: dict) -> None:
    """Filled in by the blog work: users is keyed by the login's local part."""
