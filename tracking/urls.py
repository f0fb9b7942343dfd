from django.urls import path

from . import views

app_name = "tracking"

urlpatterns = [
    path("l/<str:token>/", views.click, name="click"),
    path("o/<str:token>/", views.opened, name="open"),
]
