"""Reviewer pages of the compliance app; config/urls.py mounts them at compliance/."""

from django.urls import path

from compliance.views import DraftCheckView

app_name = "compliance"

urlpatterns = [
    path("check/", DraftCheckView.as_view(), name="check"),
]
