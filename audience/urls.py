from django.urls import path

from . import views

app_name = "audience"

urlpatterns = [
    path("lists/", views.MailingListListView.as_view(), name="list_list"),
    path("lists/new/", views.MailingListCreateView.as_view(), name="list_create"),
    path("lists/<int:pk>/", views.MailingListDetailView.as_view(), name="list_detail"),
    path("lists/<int:pk>/edit/", views.MailingListUpdateView.as_view(), name="list_update"),
    path("lists/<int:pk>/delete/", views.MailingListDeleteView.as_view(), name="list_delete"),
    path("clients/bulk/", views.ClientBulkView.as_view(), name="client_bulk"),
]
