from django.urls import path

from . import segment_views

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
]
