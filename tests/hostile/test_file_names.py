"""Item 9: any file name is stored safely and shown back safely."""

import unicodedata

import pytest

from uploads.models import Image

from .files import body_of, encode, fetch

CAFE_DECOMPOSED = unicodedata.normalize("NFD", "café.png")
LONG_STEM = "a" * 300
LONG_EXTENSION = "b" * 300

NAMES = [
    ("non-ASCII", "日本語の写真.png", "日本語の写真.png"),
    ("emoji", "\U0001f44d holiday.png", "\U0001f44d holiday.png"),
    ("combining accent", CAFE_DECOMPOSED, "café.png"),
    ("very long", f"{LONG_STEM}.png", f"{'a' * 251}.png"),
    # Django keeps the last 255 characters of the extension and drops the
    # stem; the leading dot goes as well.
    ("very long extension", f"a.{LONG_EXTENSION}", "b" * 254),
    ("very long non-ASCII", "é" * 400 + ".png", "é" * 251 + ".png"),
    ("parent folders", "../../etc/passwd", "passwd"),
    ("windows path", "C:\\Users\\eve\\photo.png", "photo.png"),
    ("mixed separators", "..\\../a/b\\c.png", "c.png"),
    ("NUL", "pho\x00to.png", "photo.png"),
    ("escape and bell", "\x1b[31mred\x07.png", "[31mred.png"),
    ("right-to-left override", "\u202egnp.exe", "gnp.exe"),
    ("line separator", "a\u2028b.png", "ab.png"),
    ("quotes and semicolons", 'my "best"; photo.png', 'my "best"; photo.png'),
    ("markup", "<img src=x onerror=alert(1)>.png", "<img src=x onerror=alert(1)>.png"),
    ("dots only", "..", "image.png"),
    ("spaces only", "   ", "image.png"),
    ("control characters only", "\x01\x02\x03", "image.png"),
    ("a lone slash", "/", "image.png"),
]


@pytest.mark.parametrize(
    ("sent", "shown"),
    [(sent, shown) for _, sent, shown in NAMES],
    ids=[n[0] for n in NAMES],
)
def test_file_name_is_stored_and_shown_back_safely(
    premium_user, client_for, sent, shown
):
    client = client_for(premium_user)
    body, content_type = _multipart("image", sent, encode("PNG", size=(8, 8)))

    response = client.generic("POST", "/api/images/", body, content_type)

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["name"] == shown
    assert Image.objects.get().name == shown
    assert client.get(f"/api/images/{created['id']}/").json()["name"] == shown
    assert client.get("/api/images/").json()["results"][0]["name"] == shown
    original = fetch(client, created["original"])
    disposition = original["Content-Disposition"]
    assert disposition.isascii() and disposition.isprintable()
    assert "\r" not in disposition and "\n" not in disposition
    assert body_of(original)[:8] == b"\x89PNG\r\n\x1a\n"


def test_empty_file_name_is_read_as_a_form_field_and_refused(premium_user, client_for):
    body, content_type = _multipart("image", "", encode("PNG", size=(8, 8)))

    response = client_for(premium_user).generic(
        "POST", "/api/images/", body, content_type
    )

    assert response.status_code == 400
    assert response.json() == {
        "image": [
            "The submitted data was not a file. Check the encoding type on the form."
        ]
    }
    assert Image.objects.count() == 0


def test_name_in_rfc_2231_encoding_is_decoded(premium_user, client_for):
    body, content_type = _multipart(
        "image", None, encode("PNG", size=(8, 8)), raw="filename*=UTF-8''%E5%86%99.png"
    )

    response = client_for(premium_user).generic(
        "POST", "/api/images/", body, content_type
    )

    assert response.status_code == 201, response.content
    assert response.json()["name"] == "写.png"


def test_line_breaks_sent_encoded_are_dropped_from_the_name(premium_user, client_for):
    body, content_type = _multipart(
        "image",
        None,
        encode("PNG", size=(8, 8)),
        raw="filename*=UTF-8''pho%0D%0Ato%E2%80%A8.png",
    )

    response = client_for(premium_user).generic(
        "POST", "/api/images/", body, content_type
    )

    assert response.status_code == 201, response.content
    assert response.json()["name"] == "photo.png"


def _multipart(field, filename, content, raw=None):
    """Return (body, content type) of a form with one file, its name sent as is."""
    boundary = "hostile-boundary-7c1f"
    parameter = raw if raw is not None else f'filename="{filename}"'
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{field}"; {parameter}\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    body = head.encode("utf-8") + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"
