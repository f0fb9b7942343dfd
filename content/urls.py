"""Included by mailings.urls: the names stay mailings:message_list and so on, as every
page, template and script knows them."""

from django.urls import path

from . import views

urlpatterns = [
    path("messages/", views.MessageListView.as_view(), name="message_list"),
    path("messages/new/", views.MessageCreateView.as_view(), name="message_create"),
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
    path("messages/<int:pk>/delete/", views.MessageDeleteView.as_view(), name="message_delete"),
    path(
        "messages/<int:pk>/attachments/<int:attachment_id>/delete/",
        views.MessageAttachmentDeleteView.as_view(),
        name="message_attachment_delete",
    ),
    path("messages/<int:pk>/preview/", views.MessagePreviewView.as_view(), name="message_preview"),
    path(
        "messages/<int:pk>/preview/email/",
        views.MessagePreviewEmailView.as_view(),
        name="message_preview_email",
    ),
]
