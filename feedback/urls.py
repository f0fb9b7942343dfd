from django.urls import path

from . import views

app_name = "feedback"

urlpatterns = [
    path("suppressions/", views.SuppressionListView.as_view(), name="suppression_list"),
    path(
        "suppressions/<int:pk>/reactivate/",
        views.SuppressionReactivateView.as_view(),
        name="suppression_reactivate",
    ),
]
