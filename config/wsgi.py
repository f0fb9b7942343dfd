import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()


def _warm_up() -> None:
    """Do now what the first requests would otherwise do: import every view through the
    URL resolver, load each language's catalogues, compile the base template. Under
    gunicorn's preload_app this runs once in the master, so every worker, and every
    worker that replaces a recycled one (max_requests), starts warm instead of making
    its first visitors wait (it was the load test's p99: hundreds of ms)."""
    from django.conf import settings
    from django.template.loader import get_template
    from django.urls import reverse
    from django.utils import translation

    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            reverse("dashboard:home")
    get_template("base.html")


_warm_up()
