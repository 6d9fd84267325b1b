"""The OpenAPI schema, made to say what the views really answer."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    """An error that concerns the request as a whole."""

    detail = serializers.CharField(help_text="What went wrong, for a person.")


# Keys are the request's own field names, or `detail` for the whole body.
FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {
        "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]
    },
}

AUTH_ERRORS = {
    "401": "No credentials, or wrong ones: send a token, Basic credentials or "
    "a session cookie.",
    "403": "Not allowed: a session request without its CSRF token, or an "
    "action your tier does not include.",
}
NOT_ACCEPTABLE = "The Accept header names no format this endpoint can answer in."
UNSUPPORTED_BODY = "The request body's Content-Type is not one this endpoint reads."
THROTTLED = "Too many requests of this kind; wait the seconds in Retry-After."
RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 1},
        "description": "Seconds to wait before trying again.",
    }
}


class ImageApiAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with the errors every view can give.

    Views that need a login document 401 and 403, throttled views 429 with
    its Retry-After header, every view 406 and views that read a body 415:
    DRF answers each of those before the view's own code runs. A serializer
    may list in `absent_when_empty` the properties it leaves out of some
    responses; those are not required.
    """

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._needs_login():
            for code, description in AUTH_ERRORS.items():
                responses.setdefault(code, self._error(code, description))
        responses.setdefault("406", self._error("406", NOT_ACCEPTABLE))
        if self.method in ("POST", "PUT", "PATCH"):
            responses.setdefault("415", self._error("415", UNSUPPORTED_BODY))
        if self.view.get_throttles():
            responses.setdefault("429", self._error("429", THROTTLED))
            responses["429"]["headers"] = RETRY_AFTER
        return responses

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        absent = set(getattr(serializer, "absent_when_empty", ()))
        if absent and "required" in schema:
            schema["required"] = [n for n in schema["required"] if n not in absent]
        return schema

    def _needs_login(self):
        return not all(
            isinstance(permission, AllowAny)
            for permission in self.view.get_permissions()
        )

    def _error(self, code, description):
        return self._get_response_for_code(
            OpenApiResponse(ErrorSerializer, description=description), code
        )
