from django.urls import path

from listening import views

app_name = "listening"
urlpatterns = [
    path("runs/", views.IngestRunListView.as_view(), name="run-list"),
    path("runs/<int:pk>/", views.IngestRunDetailView.as_view(), name="run-detail"),
    path(
        "quarantine/",
        views.QuarantinedRecordListView.as_view(),
        name="quarantine-list",
    ),
    path(
        "quarantine/<int:pk>/",
        views.QuarantinedRecordDetailView.as_view(),
        name="quarantine-detail",
    ),
]
