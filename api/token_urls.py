from django.urls import path

from . import token_views

app_name = "api_tokens"

urlpatterns = [
    path("", token_views.ApiTokenListView.as_view(), name="list"),
    path("<int:pk>/revoke/", token_views.ApiTokenRevokeView.as_view(), name="revoke"),
]
