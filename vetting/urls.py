"""Pages of the vetting app; config/urls.py mounts them at programs/."""

from django.urls import path

from vetting import views

app_name = "vetting"

urlpatterns = [
    path("", views.ProgramListView.as_view(), name="program-list"),
    path("<slug:slug>/", views.ProgramDetailView.as_view(), name="program-detail"),
    path("<slug:slug>/score/", views.ProgramScoreView.as_view(), name="program-score"),
    path(
        "<slug:slug>/accounts/<int:account_id>/",
        views.ScoreDetailView.as_view(),
        name="score-detail",
    ),
]
