from django.urls import path

from . import views

# Named in the "mailings" namespace (config/urls.py), where these pages were born:
# links, bookmarks and tests reverse "mailings:reports" and "mailings:run_detail".
urlpatterns = [
    path(
        "mailings/<int:pk>/runs/<int:attempt_id>/",
        views.RunDetailView.as_view(),
        name="run_detail",
    ),
    path(
        "mailings/<int:pk>/runs/<int:attempt_id>/export/",
        views.RunExportView.as_view(),
        name="run_export",
    ),
    path("reports/", views.ReportView.as_view(), name="reports"),
    path("reports/export/", views.ReportExportView.as_view(), name="report_export"),
]
