"""Pages of the compliance app; config/urls.py mounts them at compliance/.

The findings queue and the adverse-event inbox are scoped by program membership,
which only ``vetting`` knows: they are ``vetting.review_urls`` (namespace
``review``), mounted at the same prefix."""

from django.urls import path

from compliance import views

app_name = "compliance"

urlpatterns = [
    path("check/", views.DraftCheckView.as_view(), name="check"),
]
