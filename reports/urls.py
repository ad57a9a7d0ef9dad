from django.urls import path

from reports import (
    views,
    views_exports,
    views_program_dashboard,
    views_shortlists,
    views_tokens,
)

app_name = "reports"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="home"),
    path("runs/", views.RunListView.as_view(), name="runs"),
    path("reference/", views.ReferenceDataView.as_view(), name="reference"),
    path("account/tokens/", views_tokens.ApiTokenListView.as_view(), name="tokens"),
    path(
        "dashboards/<slug:slug>/",
        views_program_dashboard.ProgramDashboardView.as_view(),
        name="program-dashboard",
    ),
    # shortlists
    path(
        "shortlists/",
        views_shortlists.ShortlistListView.as_view(),
        name="shortlist-list",
    ),
    path(
        "shortlists/add/",
        views_shortlists.ShortlistAddView.as_view(),
        name="shortlist-add",
    ),
    path(
        "shortlists/picker/",
        views_shortlists.ShortlistPickerView.as_view(),
        name="shortlist-picker",
    ),
    path(
        "shortlists/<int:pk>/",
        views_shortlists.ShortlistDetailView.as_view(),
        name="shortlist-detail",
    ),
    path(
        "shortlists/<int:pk>/edit/",
        views_shortlists.ShortlistEditView.as_view(),
        name="shortlist-edit",
    ),
    path(
        "shortlists/<int:pk>/delete/",
        views_shortlists.ShortlistDeleteView.as_view(),
        name="shortlist-delete",
    ),
    path(
        "shortlists/<int:pk>/export/",
        views_exports.ShortlistExportView.as_view(),
        name="shortlist-export",
    ),
    path(
        "shortlists/<int:pk>/members/<int:member_pk>/move/",
        views_shortlists.MemberMoveView.as_view(),
        name="shortlist-member-move",
    ),
    path(
        "shortlists/<int:pk>/members/<int:member_pk>/note/",
        views_shortlists.MemberNoteView.as_view(),
        name="shortlist-member-note",
    ),
    path(
        "shortlists/<int:pk>/members/<int:member_pk>/remove/",
        views_shortlists.MemberRemoveView.as_view(),
        name="shortlist-member-remove",
    ),
    # exports
    path("exports/", views_exports.ExportListView.as_view(), name="export-list"),
    path(
        "exports/discovery/",
        views_exports.ExportDiscoveryView.as_view(),
        name="export-discovery",
    ),
    path(
        "exports/<int:pk>/",
        views_exports.ExportDetailView.as_view(),
        name="export-detail",
    ),
    path(
        "exports/<int:pk>/progress/",
        views_exports.ExportProgressView.as_view(),
        name="export-progress",
    ),
    path(
        "exports/<int:pk>/download/",
        views_exports.ExportDownloadView.as_view(),
        name="export-download",
    ),
]
