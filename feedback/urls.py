from django.urls import path

from . import esp_webhooks, views

app_name = "feedback"

urlpatterns = [
    path("webhooks/esp/<slug:esp>/", esp_webhooks.esp_webhook, name="esp_webhook"),
    path("suppressions/", views.SuppressionListView.as_view(), name="suppression_list"),
    path(
        "suppressions/import/",
        views.SuppressionImportView.as_view(),
        name="suppression_import",
    ),
    path(
        "suppressions/<int:pk>/reactivate/",
        views.SuppressionReactivateView.as_view(),
        name="suppression_reactivate",
    ),
]
