"""The health check that load balancers and compose ask: GET /healthz."""

import logging

from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from uploads.objectstore import STORAGE_ERRORS

logger = logging.getLogger(__name__)


def database_answers():
    """Run a trivial query; tell whether the database answered it."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("Health check: the database did not answer.", exc_info=True)
        return False
    return True


def storage_answers():
    """List the media storage's top folder; tell whether that worked."""
    try:
        default_storage.listdir("")
    except STORAGE_ERRORS:
        logger.warning("Health check: the media storage did not answer.", exc_info=True)
        return False
    return True


CHECKS = {"database": database_answers, "storage": storage_answers}


@never_cache
@require_safe
def healthz(request):
    """Answer 200 when every dependency answers, 503 naming those that fail."""
    failing = [name for name, check in CHECKS.items() if not check()]
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing}, status=503)
    return JsonResponse({"status": "ok"})
