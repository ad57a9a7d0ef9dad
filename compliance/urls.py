"""Reviewer pages of the compliance app; config/urls.py mounts them at compliance/."""

from django.urls import path

from compliance import views

app_name = "compliance"

urlpatterns = [
    path("check/", views.DraftCheckView.as_view(), name="check"),
    path("findings/", views.FindingListView.as_view(), name="finding-list"),
    path(
        "findings/<int:pk>/",
        views.FindingDetailView.as_view(),
        name="finding-detail",
    ),
    path("ae/", views.AdverseEventInboxView.as_view(), name="ae-inbox"),
    path("ae/<int:pk>/", views.AdverseEventCaseDetailView.as_view(), name="ae-detail"),
]
