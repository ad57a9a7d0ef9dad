from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("reports.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("compliance/", include("compliance.urls")),
    path("compliance/", include("vetting.review_urls")),
    path("api/v1/compliance/", include("compliance.api.urls")),
    path(
        "api/v1/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path("api/v1/", include("vetting.api.urls")),
    path("api/v1/", include("reports.api.urls", namespace="api-v1-reports")),
    path("listening/", include("listening.urls")),
    path("programs/", include("vetting.urls")),
]
