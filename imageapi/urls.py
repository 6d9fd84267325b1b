"""Where each URL goes: the API, signed file links, admin, health check."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from tiers.views import TokenView
from uploads.urls import api_urlpatterns, file_urlpatterns

from .health import healthz

urlpatterns = [
    path("", RedirectView.as_view(url="/api/", permanent=False)),
    path("api/", include(api_urlpatterns)),
    path("api/auth/token/", TokenView.as_view(), name="token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api-auth/", include("rest_framework.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    *file_urlpatterns,
]

handler400 = "imageapi.errors.bad_request"
handler404 = "imageapi.errors.page_not_found"
handler500 = "imageapi.errors.server_error"
