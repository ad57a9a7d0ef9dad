from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="home"),
    path("runs/", views.RunListView.as_view(), name="runs"),
    path("reference/", views.ReferenceDataView.as_view(), name="reference"),
]
