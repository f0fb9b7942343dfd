from django.urls import path

from . import views

# Named in the "sending" namespace (config/urls.py), where the feed was born:
# "sending:mailing_progress".
urlpatterns = [
    path(
        "mailings/<int:pk>/progress/",
        views.MailingProgressView.as_view(),
        name="mailing_progress",
    ),
]
