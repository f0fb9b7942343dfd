from django.urls import include, path

from content import urls as content_urls

from . import views

# Named in the "mailings" namespace by config/urls.py, with the reports pages.
urlpatterns = [
    path("clients/", views.ClientListView.as_view(), name="client_list"),
    path("clients/new/", views.ClientCreateView.as_view(), name="client_create"),
    path("clients/search/", views.ClientSearchView.as_view(), name="client_search"),
    path("clients/import/", views.ClientImportView.as_view(), name="client_import"),
    path(
        "clients/import/<int:pk>/",
        views.ClientImportDetailView.as_view(),
        name="client_import_detail",
    ),
    path(
        "clients/import/<int:pk>/progress/",
        views.ClientImportProgressView.as_view(),
        name="client_import_progress",
    ),
    path("clients/export/", views.ClientExportView.as_view(), name="client_export"),
    path("clients/<int:pk>/", views.ClientDetailView.as_view(), name="client_detail"),
    path("clients/<int:pk>/edit/", views.ClientUpdateView.as_view(), name="client_update"),
    path("clients/<int:pk>/delete/", views.ClientDeleteView.as_view(), name="client_delete"),
    # Messages and their images: content's pages, under this namespace's names.
    path("", include(content_urls)),
    path("messages/<int:pk>/", views.MessageDetailView.as_view(), name="message_detail"),
    path("mailings/", views.MailingListView.as_view(), name="mailing_list"),
    path("mailings/new/", views.MailingCreateView.as_view(), name="mailing_create"),
    path(
        "mailings/recipients/",
        views.MailingRecipientCountView.as_view(),
        name="mailing_recipient_count",
    ),
    path("mailings/<int:pk>/", views.MailingDetailView.as_view(), name="mailing_detail"),
    path("mailings/<int:pk>/edit/", views.MailingUpdateView.as_view(), name="mailing_update"),
    path("mailings/<int:pk>/delete/", views.MailingDeleteView.as_view(), name="mailing_delete"),
    path(
        "mailings/<int:pk>/duplicate/",
        views.MailingDuplicateView.as_view(),
        name="mailing_duplicate",
    ),
    path("mailings/<int:pk>/send/", views.MailingSendView.as_view(), name="mailing_send"),
    path("mailings/<int:pk>/disable/", views.MailingDisableView.as_view(), name="mailing_disable"),
]
