"""Review queues of the vetting app (findings queue, adverse-event inbox), scoped by
program membership; config/urls.py mounts them at compliance/ next to the
compliance app's draft checker."""

from django.urls import path

from vetting.views import review

app_name = "review"

urlpatterns = [
    path("findings/", review.FindingListView.as_view(), name="finding-list"),
    path(
        "findings/<int:pk>/", review.FindingDetailView.as_view(), name="finding-detail"
    ),
    path("ae/", review.AdverseEventInboxView.as_view(), name="ae-inbox"),
    path("ae/<int:pk>/", review.AdverseEventCaseDetailView.as_view(), name="ae-detail"),
]
