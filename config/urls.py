from django.conf import settings
from django.contrib import admin
from django.urls import include, path

# Pages that moved rooms keep their URL names ("mailings:reports",
# "sending:mailing_progress", ...): links, bookmarks and tests reverse them. One
# namespace spans the rooms that serve its pages.
mailings_namespace = [
    path("", include("mailings.urls")),
    path("", include("reports.urls")),
]
sending_namespace = [
    path("", include("sending.urls")),
    path("", include("reports.progress_urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("api.urls")),
    path("accounts/api-tokens/", include("api.token_urls")),
    path("webhooks/", include("webhooks.urls")),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("manager/", include("accounts.manager_urls")),
    path("blog/", include("blog.urls")),
    path("", include((mailings_namespace, "mailings"))),
    path("", include("audience.urls")),
    path("", include((sending_namespace, "sending"))),
    path("", include("tracking.urls")),
    path("", include("senders.urls")),
    path("", include("feedback.urls")),
    path("", include("dashboard.urls")),
    path("", include("audience.subscription_urls")),
    path("", include("audience.privacy_urls")),
]

if settings.DEBUG or settings.SERVE_MEDIA:
    from django.urls import re_path
    from django.views.static import serve

    def serve_media(request, path):
        # MEDIA_ROOT read per request, not once when the URLs load (tests move it).
        return serve(request, path, document_root=settings.MEDIA_ROOT)

    urlpatterns += [re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$", serve_media)]
handler500 = "config.errors.server_error"
