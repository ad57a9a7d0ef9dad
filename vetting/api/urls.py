"""Routes of REST API v1; config/urls.py mounts them at api/v1/ (namespace
``api-v1``). Reads are router viewsets; each action has its own path."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from vetting.api import views

app_name = "api-v1"

router = SimpleRouter()
router.register("programs", views.ProgramViewSet, basename="program")
router.register("clinicians", views.ClinicianViewSet, basename="clinician")
router.register("accounts", views.SocialAccountViewSet, basename="account")
router.register("posts", views.PostViewSet, basename="post")
router.register("findings", views.FindingViewSet, basename="finding")
router.register("scores", views.InfluencerScoreViewSet, basename="score")
router.register("scoring-runs", views.ScoringRunViewSet, basename="scoring-run")
router.register("ingest-runs", views.IngestRunViewSet, basename="ingest-run")
router.register("scan-runs", views.ScanRunViewSet, basename="scan-run")
router.register("sources", views.SourceViewSet, basename="source")
router.register("ae-cases", views.AdverseEventCaseViewSet, basename="ae-case")
router.register("cases", views.VettingCaseViewSet, basename="case")
router.register("alerts", views.AlertViewSet, basename="alert")

urlpatterns = [
    path(
        "programs/<slug:slug>/score/",
        views.ScoringRunStartApi.as_view(),
        name="scoring-run-start",
    ),
    path(
        "sources/<int:pk>/ingest/",
        views.IngestRunStartApi.as_view(),
        name="ingest-run-start",
    ),
    path("scan/", views.ScanStartApi.as_view(), name="scan-start"),
    path(
        "findings/<int:pk>/decide/",
        views.FindingDecideApi.as_view(),
        name="finding-decide",
    ),
    path(
        "alerts/<int:pk>/acknowledge/",
        views.AlertAcknowledgeApi.as_view(),
        name="alert-acknowledge",
    ),
    *router.urls,
]
