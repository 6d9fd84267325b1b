"""Middleware that writes one log line per request."""

import logging
import re
import time

from .logs import redact

logger = logging.getLogger("imageapi.requests")

# nginx passes its $request_id; anything else in the header is not logged.
REQUEST_ID = re.compile(r"[0-9A-Za-z-]{1,64}")


class RequestLogMiddleware:
    """Log method, path, status, size, duration and user of every request.

    The path has signed link tokens replaced by a digest and never carries
    the query string; no header is logged except nginx's request id.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        log_request(request, response, time.monotonic() - started)
        return response


def log_request(request, response, seconds):
    """Write the line for one answered request."""
    path = redact(request.path)
    duration_ms = round(seconds * 1000, 1)
    logger.info(
        "%s %s %s %sms",
        request.method,
        path,
        response.status_code,
        duration_ms,
        extra={
            "event": "request",
            "method": request.method,
            "path": path,
            "status": response.status_code,
            "bytes": response_size(response),
            "duration_ms": duration_ms,
            "user_id": user_id(request),
            "request_id": request_id(request),
        },
    )


def response_size(response):
    """Return the body's length in bytes, or None when it is streamed."""
    if response.has_header("Content-Length"):
        return int(response["Content-Length"])
    if response.streaming:
        return None
    return len(response.content)


def user_id(request):
    """Return the id of the authenticated user, or None."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return user.pk


def request_id(request):
    """Return the proxy's id for this request when it looks like one."""
    value = request.headers.get("X-Request-ID", "")
    return value if REQUEST_ID.fullmatch(value) else None
