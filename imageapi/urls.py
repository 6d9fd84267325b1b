"""Where each URL goes: the API, signed file links, admin, health check."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authtoken.views import obtain_auth_token

from uploads.urls import api_urlpatterns, file_urlpatterns

from .health import healthz

urlpatterns = [
    path("", RedirectView.as_view(url="/api/", permanent=False)),
    path("api/", include(api_urlpatterns)),
    path("api/auth/token/", obtain_auth_token, name="token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api-auth/", include("rest_framework.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    *file_urlpatterns,
]
