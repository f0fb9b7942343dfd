from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from accounts.middleware import sessionless
from blog.cache import blog_version, post_cards
from config.redaction import mask_url_passwords
from sending.heartbeat import last_beat
from sending.runs import stalled_runs
from workspace.roles import sees_everything

from .home import (
    FIGURES_TTL,
    HOME_POSTS,
    SITE_SCOPE,
    compute_figures,
    figures_scope,
    random_post_ids,
    serves_shared_page,
    shared_page,
)
from .onboarding import onboarding_checklist

# The scheduler beats every few seconds; a minute of silence means it is not running.
HEARTBEAT_STALE_AFTER = 60


class HomeView(TemplateView):
    """Figures (cached per scope) and three random published posts (cached cards);
    for visitors without an account, the whole page from the cache."""

    template_name = "dashboard/home.html"

    def get(self, request, *args, **kwargs):
        if serves_shared_page(request):
            page = shared_page(request, self.render_shared_page)
            if page is not None:
                return HttpResponse(page)
        return super().get(request, *args, **kwargs)

    def render_shared_page(self, **holes) -> str:
        return render_to_string(self.template_name, self.get_context_data(**holes), self.request)

    def get_context_data(self, **kwargs):
        user = self.request.user
        scope = figures_scope(user)
        owner = None if scope == SITE_SCOPE else user
        if "post_cards" not in kwargs:
            version = blog_version()
            picked = random_post_ids(HOME_POSTS, version=version)
            kwargs["post_cards"] = post_cards(picked, version=version)
        if user.is_authenticated and not sees_everything(user):
            kwargs["onboarding"] = onboarding_checklist(user)
        return super().get_context_data(
            # Computed only when the cached fragment is missing.
            figures=SimpleLazyObject(lambda: compute_figures(owner=owner)),
            figures_scope=scope,
            figures_ttl=FIGURES_TTL,
            **kwargs,
        )


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as error:  # any driver error means "down"
        return {"ok": False, "error": str(error)[:200]}


def _check_cache() -> dict:
    # The Redis backend answers a miss, not an error, when Redis is away (config/cache.py).
    try:
        cache.set("healthz:probe", "1", 10)
        if cache.get("healthz:probe") == "1":
            return {"ok": True}
        error = getattr(cache, "outage", None) or "a value written could not be read back"
    except Exception as failure:
        error = str(failure)
    return {"ok": False, "error": error[:200]}


def _check_broker() -> dict:
    if not settings.CELERY_BROKER_URL:
        return {"ok": True, "configured": False}
    from kombu import Connection

    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
        return {"ok": True, "configured": True}
    except Exception as error:
        return {"ok": False, "configured": True, "error": mask_url_passwords(str(error))[:200]}


def _check_scheduler(*, cache_ok: bool) -> dict:
    beat = last_beat()
    if beat is None:
        if not cache_ok:
            # The heartbeat lives in the cache: whether the scheduler runs is unknown.
            return {"ok": False, "last_beat": None, "error": "unknown while the cache fails"}
        return {"ok": False, "last_beat": None}
    at, source = beat
    age = (timezone.now() - at).total_seconds()
    return {
        "ok": age < HEARTBEAT_STALE_AFTER,
        "last_beat": at.isoformat(),
        "seconds_ago": round(age, 1),
        "source": source,
    }


def _check_runs() -> dict:
    """Runs that made no progress for a minute while recipients wait."""
    try:
        stalled = stalled_runs()
    except Exception as error:  # the database check reports why
        return {"ok": False, "error": str(error)[:200]}
    return {"ok": not stalled, "stalled": stalled}


def _sees_details(request, *, database_ok: bool) -> bool:
    """Staff, or a monitor with HEALTHZ_TOKEN; anyone else learns only ok or degraded
    (an error's text can name a server's address, or a URL)."""
    token = settings.HEALTHZ_TOKEN
    given = request.headers.get("Authorization", "")
    if token and constant_time_compare(given, f"Bearer {token}"):
        return True
    if not database_ok:
        return False  # the session and the user are in the database
    try:
        return request.user.is_staff
    except DatabaseError:
        return False


@never_cache
@sessionless
def healthz(request):
    cache_check = _check_cache()
    checks = {
        "database": _check_database(),
        "cache": cache_check,
        "broker": _check_broker(),
        "scheduler": _check_scheduler(cache_ok=cache_check["ok"]),
        "runs": _check_runs(),
    }
    healthy = all(check["ok"] for check in checks.values())
    database_ok = checks["database"]["ok"]
    if not _sees_details(request, database_ok=database_ok):
        checks = {name: {"ok": check["ok"]} for name, check in checks.items()}
    # Only a dead database makes the site unusable; the rest degrade it.
    status = 503 if not database_ok else 200
    return JsonResponse({"status": "ok" if healthy else "degraded", **checks}, status=status)
