from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import views

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("clients", views.ClientViewSet, basename="client")
router.register("lists", views.AudienceListViewSet, basename="list")
router.register("tags", views.TagViewSet, basename="tag")
router.register("segments", views.SegmentViewSet, basename="segment")
router.register("messages", views.MessageViewSet, basename="message")
router.register("mailings", views.MailingViewSet, basename="mailing")
router.register("attempts", views.AttemptViewSet, basename="attempt")
router.register("suppressions", views.SuppressionViewSet, basename="suppression")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("reports/totals/", views.ReportTotalsView.as_view(), name="report_totals"),
    path("", include(router.urls)),
    re_path(r"^.*$", views.not_found, name="not_found"),
]
