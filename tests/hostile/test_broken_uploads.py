"""Item 2: broken files are refused with a message, or decode and render."""

import struct

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uploads.imaging import InvalidImage
from uploads.models import Image
from uploads.services import check_upload

from .files import (
    body_of,
    decode,
    encode,
    exif_segment,
    fetch,
    jpeg_with_segment,
    media_files,
    png_chunk,
    png_with_bad_checksum,
    png_with_chunk,
    tiff_block,
)

# Pillow warns about the EXIF blocks below and carries on, as it should.
IGNORE_CORRUPT_EXIF = pytest.mark.filterwarnings("ignore:Corrupt EXIF:UserWarning")
IGNORE_TAG_TOO_LARGE = pytest.mark.filterwarnings("ignore:Tag data larger:UserWarning")
CORRUPT = {"image": ["The image data is truncated or corrupt."]}
SMALL_PNG = encode("PNG", size=(12, 8), noise=True)
SMALL_JPEG = encode("JPEG", size=(16, 16), noise=True, quality=90)


def test_zero_byte_file_is_refused_as_empty(basic_user, post_image, media_root):
    response = post_image(basic_user, "photo.png", b"")

    assert response.status_code == 400
    assert response.json() == {"image": ["The submitted file is empty."]}
    assert media_files(media_root) == []


def _refusals(content, cuts):
    """Return {cut: (code, message)} of check_upload() on each cut of content."""
    results = {}
    for cut in cuts:
        try:
            check_upload(SimpleUploadedFile("photo", content[:cut]))
        except InvalidImage as exc:
            results[cut] = (exc.code, exc.message)
        else:
            results[cut] = ("accepted", "")
    return results


def test_png_cut_at_every_byte_before_its_last_checksum_is_refused():
    cuts = range(1, len(SMALL_PNG) - 4)

    refusals = _refusals(SMALL_PNG, cuts)

    assert refusals == {
        cut: ("corrupt_image", "The image data is truncated or corrupt.")
        for cut in cuts
    }


def test_jpeg_cut_at_every_byte_is_refused():
    cuts = range(1, len(SMALL_JPEG))

    refusals = _refusals(SMALL_JPEG, cuts)

    assert refusals == {
        cut: ("corrupt_image", "The image data is truncated or corrupt.")
        for cut in cuts
    }


@pytest.mark.parametrize("source", ["png", "jpeg"])
@pytest.mark.parametrize("fraction", [0.01, 0.1, 0.3, 0.5, 0.8, 0.97])
def test_cut_upload_is_refused_and_leaves_nothing_behind(
    basic_user, post_image, media_root, source, fraction
):
    content = SMALL_PNG if source == "png" else SMALL_JPEG

    response = post_image(basic_user, "photo", content[: int(len(content) * fraction)])

    assert (response.status_code, response.json()) == (400, CORRUPT)
    assert Image.objects.count() == 0
    assert media_files(media_root) == []


@pytest.mark.parametrize("cut", range(len(SMALL_PNG) - 4, len(SMALL_PNG)))
def test_png_missing_only_its_end_checksum_is_accepted_and_renders(
    basic_user, post_image, client_for, cut
):
    response = post_image(basic_user, "photo.png", SMALL_PNG[:cut])

    assert response.status_code == 201
    thumbnail = fetch(client_for(basic_user), response.json()["thumbnails"]["200"])
    assert thumbnail.status_code == 200
    assert decode(body_of(thumbnail)).size == (12, 8)


def _png_with_ancillary_chunks():
    png = encode("PNG", size=(20, 10))
    png = png_with_chunk(png, png_chunk(b"tEXt", b"Comment\x00hello"))
    return png_with_chunk(png, png_chunk(b"gAMA", struct.pack(">I", 45455)))


@pytest.mark.parametrize("kind", [b"IHDR", b"IDAT", b"tEXt", b"gAMA"])
def test_png_with_a_wrong_chunk_checksum_is_refused(basic_user, post_image, kind):
    png = png_with_bad_checksum(_png_with_ancillary_chunks(), kind)

    response = post_image(basic_user, "photo.png", png)

    assert (response.status_code, response.json()) == (400, CORRUPT)


def test_png_with_a_wrong_end_checksum_is_accepted_since_it_decodes_whole(
    basic_user, post_image, client_for
):
    png = png_with_bad_checksum(_png_with_ancillary_chunks(), b"IEND")

    response = post_image(basic_user, "photo.png", png)

    assert response.status_code == 201
    thumbnail = fetch(client_for(basic_user), response.json()["thumbnails"]["200"])
    assert decode(body_of(thumbnail)).size == (20, 10)


def test_file_with_png_signature_and_garbage_is_refused_as_corrupt(
    basic_user, post_image
):
    response = post_image(basic_user, "photo.png", b"\x89PNG\r\n\x1a\n" + b"x" * 200)

    assert (response.status_code, response.json()) == (400, CORRUPT)


EXIF_OUT_OF_RANGE = {
    "first IFD past the end": b"II*\x00" + struct.pack("<I", 0xFFFFFF00),
    "value offset past the end": tiff_block(
        [(0x010F, 2, 100, struct.pack("<I", 0x7FFFFFFF))]
    ),
    "count of a billion": tiff_block([(0x0112, 3, 0x3FFFFFFF, struct.pack("<I", 40))]),
    "EXIF IFD past the end": tiff_block(
        [(0x8769, 4, 1, struct.pack("<I", 0xFFFF0000))]
    ),
    "GPS IFD pointing at itself": tiff_block([(0x8825, 4, 1, struct.pack("<I", 8))]),
    "orientation 9": tiff_block([(0x0112, 3, 1, struct.pack("<HH", 9, 0))]),
    "orientation as text": tiff_block([(0x0112, 2, 2, b"6\x00\x00\x00")]),
    "cut inside the header": b"II*",
    "unknown byte order": b"XX*\x00\x08\x00\x00\x00",
}


@pytest.mark.parametrize("payload", EXIF_OUT_OF_RANGE.values(), ids=EXIF_OUT_OF_RANGE)
@IGNORE_CORRUPT_EXIF
@IGNORE_TAG_TOO_LARGE
def test_jpeg_with_corrupt_exif_is_accepted_as_stored_and_renders(
    enterprise_user, post_image, client_for, payload
):
    jpeg = jpeg_with_segment(
        encode("JPEG", size=(120, 80)), 0xE1, exif_segment(payload)
    )

    response = post_image(enterprise_user, "photo.jpg", jpeg)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["format"], body["width"], body["height"]) == ("jpeg", 120, 80)
    client = client_for(enterprise_user)
    assert body_of(fetch(client, body["original"])) == jpeg
    for height, size in (("200", (120, 80)), ("400", (120, 80))):
        thumbnail = fetch(client, body["thumbnails"][height])
        assert thumbnail.status_code == 200
        assert decode(body_of(thumbnail)).size == size


@pytest.mark.parametrize("payload", EXIF_OUT_OF_RANGE.values(), ids=EXIF_OUT_OF_RANGE)
@IGNORE_CORRUPT_EXIF
@IGNORE_TAG_TOO_LARGE
def test_png_with_corrupt_exif_chunk_is_accepted_and_renders(
    basic_user, post_image, client_for, payload
):
    png = png_with_chunk(encode("PNG", size=(30, 300)), png_chunk(b"eXIf", payload))

    response = post_image(basic_user, "photo.png", png)

    assert response.status_code == 201, response.content
    assert (response.json()["width"], response.json()["height"]) == (30, 300)
    thumbnail = fetch(client_for(basic_user), response.json()["thumbnails"]["200"])
    assert decode(body_of(thumbnail)).size == (20, 200)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    source=st.sampled_from(["png", "jpeg"]),
    damage=st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=6
    ),
)
def test_damaged_bytes_give_a_refusal_or_a_working_image_never_a_server_error(
    enterprise_user, post_image, client_for, source, damage
):
    content = bytearray(SMALL_PNG if source == "png" else SMALL_JPEG)
    for position, value in damage:
        content[position % len(content)] = value

    response = post_image(enterprise_user, "photo", bytes(content))

    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:
        assert set(response.json()) == {"image"}
        return
    client = client_for(enterprise_user)
    body = response.json()
    for link in (body["original"], *body["thumbnails"].values()):
        assert fetch(client, link).status_code == 200
