from django.urls import path

from . import manager_views

app_name = "manager"

urlpatterns = [
    path("users/", manager_views.UserListView.as_view(), name="users"),
    path("users/<int:pk>/block/", manager_views.UserBlockView.as_view(), name="user_block"),
    path("users/<int:pk>/unblock/", manager_views.UserUnblockView.as_view(), name="user_unblock"),
]
