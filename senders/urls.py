from django.urls import path

from . import views

app_name = "senders"

urlpatterns = [
    path("senders/", views.SenderListView.as_view(), name="sender_list"),
    path("senders/new/", views.SenderCreateView.as_view(), name="sender_create"),
    path("senders/<int:pk>/", views.SenderDetailView.as_view(), name="sender_detail"),
    path("senders/<int:pk>/edit/", views.SenderUpdateView.as_view(), name="sender_update"),
    path("senders/<int:pk>/delete/", views.SenderDeleteView.as_view(), name="sender_delete"),
    path(
        "senders/<int:pk>/confirm/",
        views.SenderResendConfirmationView.as_view(),
        name="sender_resend_confirmation",
    ),
    path("senders/confirm/<str:token>/", views.SenderConfirmView.as_view(), name="sender_confirm"),
    path("brand/", views.BrandView.as_view(), name="brand"),
    path("relay/", views.RelayView.as_view(), name="relay"),
    path("relay/test/", views.RelayTestView.as_view(), name="relay_test"),
    path("relay/delete/", views.RelayDeleteView.as_view(), name="relay_delete"),
    path("domains/", views.DomainListView.as_view(), name="domain_list"),
    path("domains/new/", views.DomainCreateView.as_view(), name="domain_create"),
    path("domains/<int:pk>/", views.DomainDetailView.as_view(), name="domain_detail"),
    path("domains/<int:pk>/check/", views.DomainCheckView.as_view(), name="domain_check"),
    path("domains/<int:pk>/delete/", views.DomainDeleteView.as_view(), name="domain_delete"),
]
