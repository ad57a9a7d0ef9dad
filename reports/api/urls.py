"""Shortlist and export routes of REST API v1; config/urls.py mounts them at api/v1/
(namespace ``api-v1-reports``)."""

from rest_framework.routers import SimpleRouter

from reports.api import views

app_name = "api-v1-reports"

router = SimpleRouter()
router.register("shortlists", views.ShortlistViewSet, basename="shortlist")
router.register("exports", views.ExportViewSet, basename="export")

urlpatterns = router.urls
