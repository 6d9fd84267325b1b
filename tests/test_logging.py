"""Log lines: JSON a collector parses, business events, no tokens or secrets."""

import io
import json
import logging
import logging.config
from urllib.parse import urlparse

import pytest

from imageapi.logs import JsonFormatter, RedactLinkTokens, logging_config, redact

REQUEST_LOG = "imageapi.middleware.RequestLogMiddleware"


@pytest.fixture
def request_log(settings):
    settings.MIDDLEWARE = [REQUEST_LOG, *settings.MIDDLEWARE]


@pytest.fixture
def json_log():
    """Send the project's loggers through the production handler into a buffer."""
    stream = io.StringIO()
    config = logging_config(level="INFO", style="json", stream="ext://sys.stderr")
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.config.dictConfig(
        logging_config(level="INFO", style="plain", stream="ext://sys.stderr")
    )


def events(records, name):
    return [record for record in records if getattr(record, "event", None) == name]


def token_of(url):
    return urlparse(url).path.removeprefix("/files/")


def test_json_formatter_writes_one_object_with_plain_extra_fields():
    record = logging.makeLogRecord(
        {
            "name": "uploads.services",
            "levelname": "INFO",
            "msg": "Image stored: id=%s",
            "args": ("abc",),
            "event": "image_stored",
            "bytes": 12,
            "request": object(),
        }
    )

    line = JsonFormatter().format(record)

    entry = json.loads(line)
    assert "\n" not in line
    assert entry["message"] == "Image stored: id=abc"
    assert entry["logger"] == "uploads.services"
    assert entry["level"] == "INFO"
    assert entry["event"] == "image_stored" and entry["bytes"] == 12
    assert "request" not in entry


def test_redact_replaces_link_tokens_with_a_stable_digest():
    text = "Not Found: /files/eyJpIjoiYWJjIn0:1sXyz:abcDEF_12-3 and /files/other"

    cleaned = redact(text)

    assert "eyJpIjoiYWJjIn0" not in cleaned and "/files/other" not in cleaned
    assert cleaned.startswith("Not Found: /files/[link:")
    assert redact(text) == cleaned


def test_redact_filter_cleans_a_message_built_from_arguments():
    record = logging.makeLogRecord(
        {"msg": "Gone: %s", "args": ("/files/secret-token",)}
    )

    RedactLinkTokens().filter(record)

    assert "secret-token" not in record.getMessage()


def test_request_log_line_carries_route_status_and_user_without_token(
    request_log, premium_user, upload_image, anonymous_client, caplog
):
    body = upload_image(premium_user)
    caplog.set_level(logging.INFO, logger="imageapi.requests")
    caplog.clear()

    anonymous_client.get(body["original"], HTTP_X_REQUEST_ID="a1b2c3")

    [line] = events(caplog.records, "request")
    assert line.method == "GET" and line.status == 200
    assert line.path.startswith("/files/[link:")
    assert token_of(body["original"]) not in line.getMessage()
    assert line.request_id == "a1b2c3" and line.user_id is None


def test_request_log_names_the_authenticated_user(
    request_log, premium_user, client_for, caplog
):
    caplog.set_level(logging.INFO, logger="imageapi.requests")

    client_for(premium_user).get("/api/images/")

    [line] = events(caplog.records, "request")
    assert line.user_id == premium_user.pk and line.path == "/api/images/"


def test_a_rejected_upload_is_logged_with_its_reason(
    basic_user, client_for, make_upload, caplog
):
    caplog.set_level(logging.INFO, logger="uploads")
    gif = make_upload("photo.png", image_format="GIF")

    client_for(basic_user).post("/api/images/", {"image": gif}, format="multipart")

    [line] = events(caplog.records, "upload_rejected")
    assert line.reason == "unsupported_format"
    assert line.user_id == basic_user.pk


def test_stored_images_and_issued_links_are_logged_as_events(
    enterprise_user, upload_image, client_for, caplog
):
    caplog.set_level(logging.INFO, logger="uploads")

    body = upload_image(enterprise_user)
    client_for(enterprise_user).post(
        body["expiring_links"], {"expires_in": 600}, format="json"
    )

    [stored] = events(caplog.records, "image_stored")
    [issued] = events(caplog.records, "link_issued")
    assert stored.image_id == body["id"] and stored.user_id == enterprise_user.pk
    assert issued.image_id == body["id"] and issued.expires_in == 600


def test_production_handler_writes_json_lines_without_tokens_or_credentials(
    json_log, request_log, enterprise_user, upload_image, client_for, anonymous_client
):
    enterprise_user.set_password("hunter2-correct-horse")
    enterprise_user.save()
    body = upload_image(enterprise_user)
    link = client_for(enterprise_user).post(
        body["expiring_links"], {"expires_in": 600}, format="json"
    )
    anonymous_client.get(body["original"])
    anonymous_client.get(link.json()["url"][:-2] + "xx")
    anonymous_client.post(
        "/api/auth/token/",
        {"username": enterprise_user.username, "password": "hunter2-correct-horse"},
    )

    lines = json_log()

    text = json.dumps(lines)
    assert {line.get("event") for line in lines} >= {
        "request",
        "image_stored",
        "link_issued",
    }
    for url in (body["original"], link.json()["url"]):
        assert token_of(url)[:20] not in text
    assert "hunter2" not in text
