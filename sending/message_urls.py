from django.urls import path

from . import views

# The message page's "send me a test" (it queues an account email), named in the
# "mailings" namespace by config/urls.py with the other message pages.
urlpatterns = [
    path("messages/<int:pk>/test/", views.MessageTestSendView.as_view(), name="message_test"),
]
