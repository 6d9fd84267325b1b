"""Uploading images: what is accepted, what is refused, what is left behind."""

import datetime as dt
import random
import struct
import zlib

import pytest
import time_machine
from django.db import DatabaseError
from PIL import Image as PILImage

from uploads.models import Image
from uploads.services import safe_name

NOT_ACCEPTED = "{} images are not accepted; upload a PNG or JPEG."
NOT_AN_IMAGE = "The file is {}, not an image; upload a PNG or JPEG."
CORRUPT = "The image data is truncated or corrupt."


def noisy(size=(64, 64)):
    """Return an RGB image whose data compresses badly, so it spans many bytes."""
    width, height = size
    pattern = random.Random(width * height).randbytes(width * height * 3)
    return PILImage.frombytes("RGB", size, pattern)


def multipart(filename, content, content_type="application/octet-stream"):
    """Return (body, content type) of a form whose file part is sent verbatim."""
    boundary = "----test-boundary-7f3a"
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="image"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head + content + tail, f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def post_raw(client_for):
    """POST a hand-made multipart body as `user`; return the response."""

    def post(user, filename, content, content_type="application/octet-stream"):
        body, form_type = multipart(filename, content, content_type)
        return client_for(user).generic("POST", "/api/images/", body, form_type)

    return post


@pytest.fixture
def post_file(client_for, make_upload):
    def post(user, name, content):
        return client_for(user).post(
            "/api/images/", {"image": make_upload(name, content)}, format="multipart"
        )

    return post


def png_with_bad_idat_crc(encode_image):
    data = bytearray(encode_image(noisy(), "PNG"))
    start = data.index(b"IDAT") - 4
    (length,) = struct.unpack(">I", data[start : start + 4])
    crc_at = start + 8 + length
    data[crc_at] ^= 0xFF
    return bytes(data)


# --- Accepted ---------------------------------------------------------------


@time_machine.travel(dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC), tick=False)
def test_png_upload_answers_201_with_the_representation(
    basic_user, client_for, make_upload, make_image
):
    content = make_image("PNG", size=(640, 480))

    response = client_for(basic_user).post(
        "/api/images/", {"image": make_upload("cat.png", content)}, format="multipart"
    )

    assert response.status_code == 201
    body = response.json()
    image = Image.objects.get()
    assert body == {
        "id": str(image.pk),
        "url": f"http://testserver/api/images/{image.pk}/",
        "name": "cat.png",
        "format": "png",
        "width": 640,
        "height": 480,
        "size": len(content),
        "created_at": "2030-01-02T03:04:05Z",
        "thumbnails": {"200": body["thumbnails"]["200"]},
    }
    assert body["thumbnails"]["200"].startswith("http://testserver/files/")
    assert image.owner == basic_user


def test_upload_answers_with_location_of_the_detail_url(
    basic_user, client_for, make_upload
):
    response = client_for(basic_user).post(
        "/api/images/", {"image": make_upload()}, format="multipart"
    )

    assert response.status_code == 201
    assert response["Location"] == response.json()["url"]
    assert client_for(basic_user).get(response["Location"]).status_code == 200


def test_jpeg_upload_is_stored_as_jpeg(basic_user, upload_image, make_image):
    content = make_image("JPEG", size=(300, 500))

    body = upload_image(basic_user, "holiday.jpg", content)

    assert (body["format"], body["width"], body["height"]) == ("jpeg", 300, 500)
    assert body["size"] == len(content)
    assert Image.objects.get().file.name.endswith("/original.jpg")


def test_png_named_file_holding_a_jpeg_is_a_jpeg(basic_user, upload_image, make_image):
    body = upload_image(basic_user, "really-a-jpeg.png", make_image("JPEG"))

    assert body["format"] == "jpeg"
    assert body["name"] == "really-a-jpeg.png"


def test_jpeg_named_file_holding_a_png_is_a_png(basic_user, upload_image, make_image):
    body = upload_image(basic_user, "really-a-png.jpg", make_image("PNG"))

    assert body["format"] == "png"


def test_content_type_sent_by_the_client_is_ignored(basic_user, post_raw, make_image):
    response = post_raw(basic_user, "shot", make_image("PNG"), "image/gif")

    assert response.status_code == 201
    assert response.json()["format"] == "png"


def test_gif_sent_as_image_png_is_refused(basic_user, post_raw, make_image):
    response = post_raw(basic_user, "shot.png", make_image("GIF"), "image/png")

    assert response.status_code == 400
    assert response.json() == {"image": [NOT_ACCEPTED.format("GIF")]}


def test_size_is_the_number_of_bytes_uploaded(basic_user, upload_image, encode_image):
    content = encode_image(noisy((120, 80)), "PNG")

    body = upload_image(basic_user, content=content)

    assert body["size"] == len(content)
    assert Image.objects.get().file.size == len(content)


@pytest.mark.parametrize("orientation", [5, 6, 7, 8])
def test_sideways_exif_orientation_swaps_width_and_height(
    basic_user, upload_image, make_image, make_exif, orientation
):
    content = make_image("JPEG", size=(60, 40), exif=make_exif(orientation))

    body = upload_image(basic_user, "turned.jpg", content)

    assert (body["width"], body["height"]) == (40, 60)


@pytest.mark.parametrize("orientation", [1, 2, 3, 4])
def test_upright_or_flipped_exif_orientation_keeps_width_and_height(
    basic_user, upload_image, make_image, make_exif, orientation
):
    content = make_image("JPEG", size=(60, 40), exif=make_exif(orientation))

    body = upload_image(basic_user, "turned.jpg", content)

    assert (body["width"], body["height"]) == (60, 40)


def test_png_exif_orientation_is_honoured(
    basic_user, upload_image, make_image, make_exif
):
    content = make_image("PNG", size=(60, 40), exif=make_exif(8))

    body = upload_image(basic_user, "turned.png", content)

    assert (body["width"], body["height"]) == (40, 60)


def test_multi_picture_jpeg_from_a_phone_is_accepted_as_jpeg(
    basic_user, upload_image, encode_image
):
    # Phones write a second picture (a depth or gain map) after the first;
    # the file is still a JPEG and opens as one everywhere.
    content = encode_image(
        PILImage.new("RGB", (80, 60), "red"),
        "MPO",
        save_all=True,
        append_images=[PILImage.new("RGB", (40, 30), "blue")],
    )

    body = upload_image(basic_user, "phone.jpg", content)

    assert (body["format"], body["width"], body["height"]) == ("jpeg", 80, 60)


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\\\Users\\\\eve\\\\shot.png", "shot.png"),
        ("/var/www/../index.png", "index.png"),
        ("bell\x07and\x1btab\t.png", "bellandtab.png"),
        ("right\u202etxt.png", "righttxt.png"),
        ("  spaced name.png  ", "spaced name.png"),
        ("...", "image.png"),
        (". .", "image.png"),
    ],
)
def test_file_name_is_made_safe(basic_user, post_raw, make_image, sent, stored):
    response = post_raw(basic_user, sent, make_image("PNG"))

    assert response.status_code == 201, response.content
    assert response.json()["name"] == stored
    assert Image.objects.get().name == stored


def test_empty_name_of_a_jpeg_gets_the_jpeg_extension(
    basic_user, post_raw, make_image
):
    response = post_raw(basic_user, "...", make_image("JPEG"))

    assert response.json()["name"] == "image.jpg"


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\eve\\shot.png", "shot.png"),
        ("nul\x00in\x1fthe\u200bmiddle.png", "nulinthemiddle.png"),
        ("", "image.png"),
        (None, "image.png"),
        ("dir/", "image.png"),
        (" . ", "image.png"),
        ("Cafe\u0301.png", "Caf\u00e9.png"),
    ],
)
def test_safe_name_drops_folders_and_control_characters(sent, stored):
    assert safe_name(sent, ".png") == stored


def test_safe_name_shortens_long_names_but_keeps_the_extension():
    name = safe_name("x" * 300 + ".jpeg", ".jpg")

    assert len(name) == 255
    assert name == "x" * 250 + ".jpeg"


def test_stored_file_name_does_not_come_from_the_client(
    basic_user, post_raw, make_image
):
    post_raw(basic_user, "../../evil.png", make_image("PNG"))

    stored = Image.objects.get().file.name
    assert stored.startswith("images/")
    assert stored.endswith("/original.png")
    assert "evil" not in stored


# --- Refused ----------------------------------------------------------------


def refusals():
    svg = (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
        b'width="10" height="10"><rect width="10" height="10"/></svg>'
    )
    html = b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>"
    return [
        pytest.param("anim.gif", "GIF", NOT_ACCEPTED.format("GIF"), id="gif"),
        pytest.param("photo.webp", "WEBP", NOT_ACCEPTED.format("WebP"), id="webp"),
        pytest.param("paint.bmp", "BMP", NOT_ACCEPTED.format("BMP"), id="bmp"),
        pytest.param("scan.tiff", "TIFF", NOT_ACCEPTED.format("TIFF"), id="tiff"),
        pytest.param("icon.png", "ICO", NOT_ACCEPTED.format("ICO"), id="ico"),
        pytest.param("vector.svg", svg, NOT_ACCEPTED.format("SVG"), id="svg"),
        pytest.param(
            "page.png", html, NOT_AN_IMAGE.format("an HTML document"), id="html"
        ),
        pytest.param(
            "notes.png",
            b"just some text\n",
            NOT_AN_IMAGE.format("a text file"),
            id="text",
        ),
        pytest.param("empty.png", b"", "The submitted file is empty.", id="empty"),
    ]


@pytest.mark.parametrize(("name", "content", "message"), refusals())
def test_upload_that_is_not_png_or_jpeg_is_refused(
    basic_user, post_file, make_image, media_files, name, content, message
):
    if isinstance(content, str):
        content = make_image(content, size=(32, 32))

    response = post_file(basic_user, name, content)

    assert response.status_code == 400
    assert response.json() == {"image": [message]}
    assert not Image.objects.exists()
    assert media_files() == []


@pytest.mark.parametrize("image_format", ["PNG", "JPEG"])
def test_truncated_image_is_refused(
    basic_user, post_file, encode_image, media_files, image_format
):
    content = encode_image(noisy(), image_format)

    response = post_file(basic_user, "cut.png", content[: len(content) * 2 // 3])

    assert response.status_code == 400
    assert response.json() == {"image": [CORRUPT]}
    assert not Image.objects.exists()
    assert media_files() == []


def test_jpeg_missing_only_its_last_bytes_is_refused(
    basic_user, post_file, encode_image
):
    content = encode_image(noisy(), "JPEG")

    response = post_file(basic_user, "cut.jpg", content[:-100])

    assert response.status_code == 400
    assert response.json() == {"image": [CORRUPT]}


def test_png_with_a_bad_checksum_is_refused(
    basic_user, post_file, encode_image, media_files
):
    response = post_file(basic_user, "crc.png", png_with_bad_idat_crc(encode_image))

    assert response.status_code == 400
    assert response.json() == {"image": [CORRUPT]}
    assert media_files() == []


def test_png_with_corrupt_compressed_data_is_refused(
    basic_user, post_file, encode_image
):
    data = bytearray(encode_image(noisy(), "PNG"))
    start = data.index(b"IDAT") + 4
    (length,) = struct.unpack(">I", data[start - 8 : start - 4])
    data[start + 10 : start + 40] = bytes(30)
    crc = zlib.crc32(bytes(data[start - 4 : start + length]))
    data[start + length : start + length + 4] = struct.pack(">I", crc)

    response = post_file(basic_user, "garbled.png", bytes(data))

    assert response.status_code == 400
    assert response.json() == {"image": [CORRUPT]}


def test_file_over_the_byte_limit_is_refused(
    basic_user, post_file, encode_image, media_files, settings
):
    settings.IMAGEAPI_MAX_UPLOAD_BYTES = 1000
    content = encode_image(noisy((32, 32)), "PNG")
    assert len(content) > 1000

    response = post_file(basic_user, "big.png", content)

    assert response.status_code == 400
    assert response.json() == {
        "image": [f"The file is {len(content)} bytes; the limit is 1000 bytes."]
    }
    assert not Image.objects.exists()
    assert media_files() == []


def test_file_exactly_at_the_byte_limit_is_accepted(
    basic_user, post_file, make_image, settings
):
    content = make_image("PNG", size=(20, 20))
    settings.IMAGEAPI_MAX_UPLOAD_BYTES = len(content)

    assert post_file(basic_user, "fits.png", content).status_code == 201


@pytest.mark.parametrize("image_format", ["PNG", "JPEG"])
def test_image_over_the_pixel_limit_is_refused(
    basic_user, post_file, make_image, media_files, settings, image_format
):
    settings.IMAGEAPI_MAX_IMAGE_PIXELS = 100 * 100

    response = post_file(
        basic_user, "wide.png", make_image(image_format, size=(101, 100))
    )

    assert response.status_code == 400
    assert response.json() == {
        "image": ["The image is 101x100, 10100 pixels; the limit is 10000 pixels."]
    }
    assert not Image.objects.exists()
    assert media_files() == []


def test_image_exactly_at_the_pixel_limit_is_accepted(
    basic_user, post_file, make_image, settings
):
    settings.IMAGEAPI_MAX_IMAGE_PIXELS = 100 * 100

    response = post_file(basic_user, "fits.png", make_image("PNG", size=(100, 100)))

    assert response.status_code == 201


def png_chunk(kind, data):
    checksum = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)


def test_decompression_bomb_is_refused_before_decoding(basic_user, post_file):
    # A few bytes that claim a 20000x20000 canvas: the header alone is read,
    # and the refusal names the size and the limit.
    header = struct.pack(">IIBBBBB", 20_000, 20_000, 1, 0, 0, 0, 0)
    bomb = b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            png_chunk(b"IHDR", header),
            png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)),
            png_chunk(b"IEND", b""),
        ]
    )

    response = post_file(basic_user, "bomb.png", bomb)

    assert response.status_code == 400
    assert response.json() == {
        "image": [
            "The image is 20000x20000, 400000000 pixels; "
            "the limit is 50000000 pixels."
        ]
    }


def test_upload_without_a_file_is_refused(basic_user, client_for, media_files):
    response = client_for(basic_user).post("/api/images/", {}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"image": ["No file was submitted."]}
    assert media_files() == []


def test_upload_with_text_instead_of_a_file_is_refused(basic_user, client_for):
    response = client_for(basic_user).post(
        "/api/images/", {"image": "photo.png"}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json() == {
        "image": [
            "The submitted data was not a file. Check the encoding type on the form."
        ]
    }


def test_database_failure_while_saving_leaves_no_file(
    basic_user, client_for, make_upload, media_files, media_folders, monkeypatch
):
    def fail(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(Image, "save", fail)

    response = client_for(basic_user).post(
        "/api/images/", {"image": make_upload()}, format="multipart"
    )

    assert response.status_code == 503
    assert response.json() == {
        "detail": "The image could not be stored and nothing was kept; try again."
    }

    assert media_files() == []
    # Nor the image's own folder: only the shared parents may stay.
    assert [path for path in media_folders() if path.count("/") > 1] == []
