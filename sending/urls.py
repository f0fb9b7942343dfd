from django.urls import path

from . import views

# Named in the "sending" namespace by config/urls.py, with the run progress feed.
urlpatterns = [
    path(
        "unsubscribe/sample/",
        views.UnsubscribeSampleView.as_view(),
        name="unsubscribe_sample",
    ),
    path("unsubscribe/<str:token>/", views.UnsubscribeView.as_view(), name="unsubscribe"),
    path("attempts/<int:pk>/resend/", views.AttemptResendView.as_view(), name="attempt_resend"),
    path("attempts/<int:pk>/resume/", views.AttemptResumeView.as_view(), name="attempt_resume"),
]
