from django.urls import path

from . import subscription_views as views

app_name = "subscriptions"

urlpatterns = [
    path("subscribe/<str:token>/", views.SubscribeView.as_view(), name="subscribe"),
    path("subscribe/<str:token>/challenge/", views.ChallengeView.as_view(), name="challenge"),
    path("subscribe/<str:token>/confirm/<str:link>/", views.ConfirmView.as_view(), name="confirm"),
]
