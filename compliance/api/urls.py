"""API routes of the compliance app; config/urls.py mounts them at api/v1/compliance/."""

from django.urls import path

from compliance.api.views import ComplianceCheckApi

app_name = "compliance-api"

urlpatterns = [
    path("check", ComplianceCheckApi.as_view(), name="check"),
]
