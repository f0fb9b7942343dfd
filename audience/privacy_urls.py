from django.urls import path

from . import privacy_views as views

app_name = "privacy"

urlpatterns = [
    path("clients/<int:pk>/export/", views.ClientDataExportView.as_view(), name="client_export"),
    path("clients/<int:pk>/erase/", views.ClientEraseView.as_view(), name="client_erase"),
]
