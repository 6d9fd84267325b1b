"""Error pages: JSON under /api/, as the API's own views answer; HTML elsewhere.

Django answers some errors before any API view runs: a path no route
matches, a suspicious request, a crash. Clients of the API get the same
`{"detail": ...}` body and content type from those as from the views.
"""

from django.http import JsonResponse
from django.views import defaults

API_PREFIX = "/api/"


def _is_api(request):
    return request.path_info.startswith(API_PREFIX)


def bad_request(request, exception):
    """Answer 400 for a request Django refused before routing it."""
    if _is_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def page_not_found(request, exception):
    """Answer 404 for a path no route matches."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Answer 500 for an unhandled exception; the exception is logged already."""
    if _is_api(request):
        return JsonResponse({"detail": "Server error; try again later."}, status=500)
    return defaults.server_error(request)
