"""schemathesis against the live OpenAPI schema: no 5xx, nothing off-schema.

Run with `make test-fuzz`; the examples per operation are bounded by
FUZZ_EXAMPLES (default 25) so the run fits in CI.
"""

import io
import json
import os

import pytest

schemathesis = pytest.importorskip("schemathesis")

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from drf_spectacular.generators import SchemaGenerator  # noqa: E402
from drf_spectacular.renderers import OpenApiJsonRenderer  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from model_bakery import baker  # noqa: E402
from PIL import Image as PILImage  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tiers.models import Tier  # noqa: E402

pytestmark = pytest.mark.fuzz

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


def _schema_of_the_app():
    """Return the OpenAPI schema exactly as /api/schema/ renders it.

    Made here rather than fetched: the view wants a signed-in user, and
    there is no user yet while tests are collected.
    """
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated, renderer_context={}))


# Loaded once, at collection. (schemathesis' lazy fixture loader does not
# work with this pytest.)
schema = schemathesis.openapi.from_dict(_schema_of_the_app())
schema.app = get_wsgi_application()


def _login_with_one_image(client_for, tier_name):
    """Return the Authorization header of a new user of the tier, with an image."""
    user = baker.make("tiers.User", tier=Tier.objects.get(name=tier_name))
    buffer = io.BytesIO()
    PILImage.new("RGB", (30, 20), (10, 120, 200)).save(buffer, "PNG")
    upload = SimpleUploadedFile("seed.png", buffer.getvalue())
    response = client_for(user).post(
        "/api/images/", {"image": upload}, format="multipart"
    )
    assert response.status_code == 201
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


@pytest.fixture
def unthrottled(settings):
    # Throttling is tested on its own; here it would only cut the run short.
    settings.IMAGEAPI_UPLOAD_RATE = ""
    settings.IMAGEAPI_LINK_RATE = ""


@pytest.fixture
def basic_login(db, client_for, unthrottled):
    return _login_with_one_image(client_for, "Basic")


@pytest.fixture
def enterprise_login(db, client_for, unthrottled):
    return _login_with_one_image(client_for, "Enterprise")


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_keeps_to_its_schema_for_a_basic_user(case, basic_login):
    case.call_and_validate(headers=basic_login, checks=CHECKS)


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_keeps_to_its_schema_for_an_enterprise_user(case, enterprise_login):
    case.call_and_validate(headers=enterprise_login, checks=CHECKS)
