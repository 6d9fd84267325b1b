"""Accounts over HTTP: handing users their API token."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken

from uploads.schema import FIELD_ERRORS, ErrorSerializer


class TokenView(ObtainAuthToken):
    """Trade a username and password for the user's API token."""

    @extend_schema(
        summary="Get your API token",
        responses={
            200: inline_serializer("AuthToken", {"token": serializers.CharField()}),
            400: OpenApiResponse(
                FIELD_ERRORS, description="Wrong or missing username or password."
            ),
            401: OpenApiResponse(
                ErrorSerializer,
                description="An Authorization header was sent and is wrong.",
            ),
        },
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
