"""URL configuration for benchmarking: the product's URLs plus a reference view.

The reference view shows what a request costs through the same server,
middleware and DRF with next to no work of its own, so the product's
endpoints are judged against the framework's floor measured in the same run.
"""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from imageapi.urls import urlpatterns as product_urlpatterns


class TrivialView(APIView):
    """Answer a small JSON body and do nothing else."""

    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"status": "ok", "items": [1, 2, 3]})


urlpatterns = [
    path("bench/trivial/", TrivialView.as_view(), name="bench-trivial"),
    *product_urlpatterns,
]
