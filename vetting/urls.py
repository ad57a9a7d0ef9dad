"""Pages of the vetting app; config/urls.py mounts them at programs/."""

from django.urls import path

from vetting.views import cases, discovery, profile, programs

app_name = "vetting"

urlpatterns = [
    # fixed prefixes first: "cases", "alerts" (and "discover", "compare") are not slugs
    path("cases/", cases.CaseListView.as_view(), name="case-list"),
    path("cases/<int:pk>/", cases.CaseDetailView.as_view(), name="case-detail"),
    path(
        "cases/<int:pk>/<slug:action>/",
        cases.CaseActionView.as_view(),
        name="case-action",
    ),
    path(
        "alerts/<int:pk>/ack/",
        cases.AlertAcknowledgeView.as_view(),
        name="alert-ack",
    ),
    path("discover/", discovery.DiscoverView.as_view(), name="discover"),
    path("compare/", discovery.CompareView.as_view(), name="compare"),
    path("", programs.ProgramListView.as_view(), name="program-list"),
    path("<slug:slug>/", programs.ProgramDetailView.as_view(), name="program-detail"),
    path(
        "<slug:slug>/settings/",
        programs.ProgramSettingsView.as_view(),
        name="program-settings",
    ),
    path(
        "<slug:slug>/score/", programs.ProgramScoreView.as_view(), name="program-score"
    ),
    path(
        "<slug:slug>/accounts/<int:account_id>/",
        programs.ScoreDetailView.as_view(),
        name="score-detail",
    ),
    path(
        "<slug:slug>/accounts/<int:account_id>/profile/",
        profile.ProfileView.as_view(),
        name="profile",
    ),
    path(
        "<slug:slug>/accounts/<int:account_id>/profile/network.json",
        profile.ProfileNetworkView.as_view(),
        name="profile-network",
    ),
    path(
        "<slug:slug>/accounts/<int:account_id>/profile/posts/",
        profile.ProfilePostsView.as_view(),
        name="profile-posts",
    ),
    path(
        "<slug:slug>/accounts/<int:account_id>/case/",
        cases.CaseOpenView.as_view(),
        name="case-open",
    ),
]
