from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from common.api import api_not_found

urlpatterns = [
    # the API first: its requests are the most frequent, and each pattern before
    # the matching one is tried in turn
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/v1/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path("api/v1/compliance/", include("compliance.api.urls")),
    path("api/v1/", include("vetting.api.urls")),
    path("api/v1/", include("reports.api.urls", namespace="api-v1-reports")),
    # last under api/: what no API route matches is a JSON 404, not Django's page
    re_path(r"^api/", api_not_found, name="api-not-found"),
    path("", include("reports.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("compliance/", include("compliance.urls")),
    path("compliance/", include("vetting.review_urls")),
    path("listening/", include("listening.urls")),
    path("programs/", include("vetting.urls")),
]

# a server error under /api/ answers JSON (Django's page elsewhere)
handler500 = "common.api.server_error"
