from django.urls import path

from . import segment_views, views

app_name = "audience"

urlpatterns = [
    path("segments/", segment_views.SegmentListView.as_view(), name="segment_list"),
    path("segments/new/", segment_views.SegmentCreateView.as_view(), name="segment_create"),
    path("segments/count/", segment_views.SegmentCountView.as_view(), name="segment_count"),
    path("segments/<int:pk>/", segment_views.SegmentDetailView.as_view(), name="segment_detail"),
    path(
        "segments/<int:pk>/count/",
        segment_views.SegmentMatchCountView.as_view(),
        name="segment_match_count",
    ),
    path(
        "segments/<int:pk>/edit/", segment_views.SegmentUpdateView.as_view(), name="segment_update"
    ),
    path(
        "segments/<int:pk>/delete/",
        segment_views.SegmentDeleteView.as_view(),
        name="segment_delete",
    ),
    path("lists/", views.MailingListListView.as_view(), name="list_list"),
    path("lists/new/", views.MailingListCreateView.as_view(), name="list_create"),
    path("lists/<int:pk>/", views.MailingListDetailView.as_view(), name="list_detail"),
    path("lists/<int:pk>/edit/", views.MailingListUpdateView.as_view(), name="list_update"),
    path("lists/<int:pk>/delete/", views.MailingListDeleteView.as_view(), name="list_delete"),
    path("tags/", views.TagListView.as_view(), name="tag_list"),
    path("tags/new/", views.TagCreateView.as_view(), name="tag_create"),
    path("tags/<int:pk>/edit/", views.TagUpdateView.as_view(), name="tag_update"),
    path("tags/<int:pk>/delete/", views.TagDeleteView.as_view(), name="tag_delete"),
    path("clients/bulk/", views.ClientBulkView.as_view(), name="client_bulk"),
]
