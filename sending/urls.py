from django.urls import path

from audience import unsubscribe_views

from . import views

# Named in the "sending" namespace by config/urls.py, with the run progress feed.
urlpatterns = [
    # The audience's page, under the name the renderer's links reverse.
    path(
        "unsubscribe/sample/",
        unsubscribe_views.UnsubscribeSampleView.as_view(),
        name="unsubscribe_sample",
    ),
    path(
        "unsubscribe/<str:token>/", unsubscribe_views.UnsubscribeView.as_view(), name="unsubscribe"
    ),
    path("attempts/<int:pk>/resend/", views.AttemptResendView.as_view(), name="attempt_resend"),
    path("attempts/<int:pk>/resume/", views.AttemptResumeView.as_view(), name="attempt_resume"),
]
