"""Pages of the vetting app; config/urls.py mounts them at programs/."""

from django.urls import path

from vetting.views import programs

app_name = "vetting"

urlpatterns = [
    path("", programs.ProgramListView.as_view(), name="program-list"),
    path("<slug:slug>/", programs.ProgramDetailView.as_view(), name="program-detail"),
    path(
        "<slug:slug>/score/", programs.ProgramScoreView.as_view(), name="program-score"
    ),
    path(
        "<slug:slug>/accounts/<int:account_id>/",
        programs.ScoreDetailView.as_view(),
        name="score-detail",
    ),
]
