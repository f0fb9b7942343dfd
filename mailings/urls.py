from django.urls import path

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
    path("messages/", views.MessageListView.as_view(), name="message_list"),
    path("messages/new/", views.MessageCreateView.as_view(), name="message_create"),
    path("messages/<int:pk>/", views.MessageDetailView.as_view(), name="message_detail"),
    path("messages/images/", views.MessageImageListView.as_view(), name="message_image_list"),
    path(
        "messages/images/new/", views.MessageImageCreateView.as_view(), name="message_image_create"
    ),
    path(
        "messages/images/<int:pk>/",
        views.MessageImageDetailView.as_view(),
        name="message_image_detail",
    ),
    path(
        "messages/images/<int:pk>/delete/",
        views.MessageImageDeleteView.as_view(),
        name="message_image_delete",
    ),
    path("messages/<int:pk>/edit/", views.MessageUpdateView.as_view(), name="message_update"),
    path(
        "messages/<int:pk>/duplicate/",
        views.MessageDuplicateView.as_view(),
        name="message_duplicate",
    ),
    path("messages/<int:pk>/preview/", views.MessagePreviewView.as_view(), name="message_preview"),
    path(
        "messages/<int:pk>/preview/email/",
        views.MessagePreviewEmailView.as_view(),
        name="message_preview_email",
    ),
    path("messages/<int:pk>/test/", views.MessageTestSendView.as_view(), name="message_test"),
    path("messages/<int:pk>/delete/", views.MessageDeleteView.as_view(), name="message_delete"),
    path(
        "messages/<int:pk>/attachments/<int:attachment_id>/delete/",
        views.MessageAttachmentDeleteView.as_view(),
        name="message_attachment_delete",
    ),
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
