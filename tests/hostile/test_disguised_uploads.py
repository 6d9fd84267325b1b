"""Item 1: files that are not what their names say."""

import pytest
from PIL import ImageFile

from uploads.models import Image

from .files import body_of, decode, encode, fetch, media_files

SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" '
    b'height="10"><script>alert(document.cookie)</script>'
    b'<rect width="10" height="10"/></svg>\n'
)
HTML_PAGE = b"<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>\n"
PLAIN_TEXT = "Just some notes, not a picture. \u00e9\u00e8\n".encode()


def _pdf():
    # Pillow writes PDFs but cannot read them back: the refusal must come
    # from the product, not from a decoder.
    return encode("PDF")


REFUSED = [
    ("gif", lambda: encode("GIF"), "unsupported_format", "GIF images"),
    ("webp", lambda: encode("WEBP"), "unsupported_format", "WebP images"),
    ("bmp", lambda: encode("BMP"), "unsupported_format", "BMP images"),
    ("tiff", lambda: encode("TIFF"), "unsupported_format", "TIFF images"),
    ("pdf", _pdf, "unsupported_format", "PDF documents"),
    ("svg", lambda: SVG_WITH_SCRIPT, "unsupported_format", "SVG images"),
]
REFUSED_AS_NOT_IMAGES = [
    ("html", lambda: HTML_PAGE, "an HTML document"),
    ("text", lambda: PLAIN_TEXT, "a text file"),
]


@pytest.mark.parametrize("name", ["photo.png", "photo.jpg", "PHOTO.JPEG"])
@pytest.mark.parametrize(("kind", "content", "code", "plural"), REFUSED)
def test_other_image_formats_under_accepted_names_are_refused_by_name(
    basic_user, post_image, media_root, name, kind, content, code, plural
):
    response = post_image(basic_user, name, content(), content_type="image/png")

    assert response.status_code == 400
    assert response.json() == {
        "image": [f"{plural} are not accepted; upload a PNG or JPEG."]
    }
    assert Image.objects.count() == 0
    assert media_files(media_root) == []


@pytest.mark.parametrize("name", ["photo.png", "photo.jpg"])
@pytest.mark.parametrize(("kind", "content", "what"), REFUSED_AS_NOT_IMAGES)
def test_documents_under_image_names_are_refused_as_not_images(
    basic_user, post_image, media_root, name, kind, content, what
):
    response = post_image(basic_user, name, content(), content_type="image/jpeg")

    assert response.status_code == 400
    assert response.json() == {
        "image": [f"The file is {what}, not an image; upload a PNG or JPEG."]
    }
    assert Image.objects.count() == 0
    assert media_files(media_root) == []


def test_unknown_binary_is_refused_as_not_an_image(basic_user, post_image):
    response = post_image(basic_user, "photo.png", bytes(range(256)) * 4)

    assert response.status_code == 400
    assert response.json() == {
        "image": ["The file is not an image; upload a PNG or JPEG."]
    }


def test_no_other_decoder_than_png_and_jpeg_ever_opens_an_upload(
    basic_user, post_image, monkeypatch
):
    opened = []
    real_init = ImageFile.ImageFile.__init__

    def recording_init(self, *args, **kwargs):
        opened.append(type(self).format)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(ImageFile.ImageFile, "__init__", recording_init)

    post_image(basic_user, "photo.png", encode("GIF"))
    post_image(basic_user, "photo.png", encode("WEBP"))
    post_image(basic_user, "photo.png", encode("PNG"))
    post_image(basic_user, "photo.png", encode("JPEG"))

    assert opened and set(opened) == {"JPEG", "PNG"}


@pytest.mark.parametrize(
    ("name", "image_format", "expected_format", "content_type", "extension"),
    [
        ("photo.png", "JPEG", "jpeg", "image/jpeg", ".jpg"),
        ("photo.jpg", "PNG", "png", "image/png", ".png"),
        ("PHOTO.PNG", "PNG", "png", "image/png", ".png"),
        ("Photo.JpEg", "JPEG", "jpeg", "image/jpeg", ".jpg"),
        ("photo", "PNG", "png", "image/png", ".png"),
        ("photo", "JPEG", "jpeg", "image/jpeg", ".jpg"),
        ("photo.gif", "PNG", "png", "image/png", ".png"),
    ],
)
def test_png_and_jpeg_are_accepted_as_what_they_are_whatever_the_name(
    premium_user,
    post_image,
    client_for,
    media_root,
    name,
    image_format,
    expected_format,
    content_type,
    extension,
):
    content = encode(image_format, size=(90, 60))

    response = post_image(premium_user, name, content, content_type="text/html")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["format"], body["name"], body["width"], body["height"]) == (
        expected_format,
        name,
        90,
        60,
    )
    # The original and the thumbnails made at upload, all named for the
    # format the content has.
    assert sorted(name.rsplit("/", 1)[1] for name in media_files(media_root)) == [
        f"200{extension}",
        f"400{extension}",
        f"original{extension}",
    ]

    original = fetch(client_for(premium_user), body["original"])
    assert original["Content-Type"] == content_type
    assert body_of(original) == content

    thumbnail = fetch(client_for(premium_user), body["thumbnails"]["200"])
    assert thumbnail["Content-Type"] == content_type
    assert decode(body_of(thumbnail)).format == image_format
