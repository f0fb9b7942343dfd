"""The client pages, named in the "mailings" namespace by config/urls.py: the names
stay mailings:client_list and so on, as every page, template and script knows them."""

from django.urls import path

from . import client_views

urlpatterns = [
    path("clients/", client_views.ClientListView.as_view(), name="client_list"),
    path("clients/new/", client_views.ClientCreateView.as_view(), name="client_create"),
    path("clients/search/", client_views.ClientSearchView.as_view(), name="client_search"),
    path("clients/import/", client_views.ClientImportView.as_view(), name="client_import"),
    path(
        "clients/import/<int:pk>/",
        client_views.ClientImportDetailView.as_view(),
        name="client_import_detail",
    ),
    path(
        "clients/import/<int:pk>/columns/",
        client_views.ClientImportMappingView.as_view(),
        name="client_import_mapping",
    ),
    path(
        "clients/import/<int:pk>/progress/",
        client_views.ClientImportProgressView.as_view(),
        name="client_import_progress",
    ),
    path("clients/fields/", client_views.CustomFieldListView.as_view(), name="client_fields"),
    path(
        "clients/fields/<slug:key>/",
        client_views.CustomFieldUpdateView.as_view(),
        name="client_field_update",
    ),
    path("clients/export/", client_views.ClientExportView.as_view(), name="client_export"),
    path("clients/<int:pk>/", client_views.ClientDetailView.as_view(), name="client_detail"),
    path("clients/<int:pk>/edit/", client_views.ClientUpdateView.as_view(), name="client_update"),
    path("clients/<int:pk>/delete/", client_views.ClientDeleteView.as_view(), name="client_delete"),
]
