from django.conf import settings


def site(request) -> dict:
    """The service's name and support address, for the layout and the dead-end pages."""
    return {"SITE_NAME": settings.SITE_NAME, "SUPPORT_EMAIL": settings.SUPPORT_EMAIL}
