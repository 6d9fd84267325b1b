"""Item 3: decompression bombs are refused from their headers, in flat memory."""

import functools
import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageFile, PngImagePlugin

from uploads.models import Image as ImageRow

from .files import (
    encode,
    jpeg_with_size,
    media_files,
    png_chunk,
    png_image,
    png_with_chunk,
    zlib_bomb,
)

PROJECT = Path(__file__).resolve().parents[2]
LIMIT = 50_000_000
MIB = 1024 * 1024
# Pillow's limit for one compressed chunk, which the product keeps.
CHUNK_LIMIT = 1024 * 1024


def too_many_pixels(width, height, limit=LIMIT):
    return {
        "image": [
            f"The image is {width}x{height}, {width * height} pixels; "
            f"the limit is {limit} pixels."
        ]
    }


def chunk_too_large(kind):
    return {
        "image": [
            f"A {kind} chunk of the PNG expands to more than {CHUNK_LIMIT} bytes; "
            f"the limit is {CHUNK_LIMIT} bytes."
        ]
    }


METADATA_TOO_LARGE = {
    "image": [
        f"The PNG's metadata expands to more than {8 * MIB} bytes; "
        f"the limit is {8 * MIB} bytes."
    ]
}


def declared_png(width, height):
    """Return a PNG whose header claims `width` x `height` over one row of data."""
    png = png_image((1, 1), 8, 0, b"\x00")
    header = png_chunk(
        b"IHDR", width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\0\0\0\0"
    )
    return png[:8] + header + png[8 + len(header) :]


@functools.cache
def huge_bilevel_png():
    """Return a valid 20000x20000 1-bit PNG: 400 megapixels in about 48 KB."""
    return png_image((20000, 20000), 1, 0, bytes(2500))


@functools.cache
def huge_palette_png():
    """Return a valid 20000x20000 palette PNG with two colours."""
    palette = png_chunk(b"PLTE", bytes([200, 30, 60, 20, 100, 220]))
    return png_image((20000, 20000), 1, 3, bytes(2500), before_idat=[palette])


def huge_jpeg():
    """Return a small JPEG whose frame header claims 65000x65000."""
    return jpeg_with_size(encode("JPEG", size=(16, 16)), 65000, 65000)


def text_bomb(kind, inflated):
    """Return the data of a zTXt, iTXt or iCCP chunk that inflates to `inflated`."""
    stream = zlib_bomb(inflated)
    if kind == b"iTXt":
        return b"Comment\0\x01\0en\0Comment\0" + stream
    return b"Comment\0\0" + stream


def png_with_metadata(*chunks, after_idat=False):
    """Return a small valid PNG carrying the metadata `chunks` (kind, data)."""
    built = [png_chunk(kind, data) for kind, data in chunks]
    if after_idat:
        png = encode("PNG", size=(40, 30))
        for chunk in built:
            png = png_with_chunk(png, chunk)
        return png
    return png_image((40, 30), 8, 0, bytes(40), before_idat=built)


@pytest.fixture
def nothing_decoded(monkeypatch):
    """Fail the test if Pillow decodes any pixels."""

    def refuse_decoding(self, *args, **kwargs):
        pytest.fail("Pillow decoded the pixels of a decompression bomb")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse_decoding)


@pytest.fixture
def nothing_inflated(monkeypatch):
    """Fail the test if Pillow's PNG reader is ever given the file."""

    def refuse_reading(self, *args, **kwargs):
        pytest.fail("Pillow read the PNG, and inflated its metadata")

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "_open", refuse_reading)


@pytest.mark.parametrize(
    ("make", "size"),
    [
        pytest.param(
            lambda: declared_png(100_000, 100_000), (100_000, 100_000), id="png-ihdr"
        ),
        pytest.param(
            lambda: declared_png(2**31 - 1, 2**31 - 1), (2**31 - 1,) * 2, id="png-max"
        ),
        pytest.param(huge_bilevel_png, (20000, 20000), id="png-bilevel-400mp"),
        pytest.param(huge_palette_png, (20000, 20000), id="png-palette-400mp"),
        pytest.param(huge_jpeg, (65000, 65000), id="jpeg-sof"),
    ],
)
def test_image_declaring_too_many_pixels_is_refused_before_decoding(
    basic_user, post_image, media_root, nothing_decoded, make, size
):
    content = make()
    assert len(content) < 64 * 1024

    response = post_image(basic_user, "bomb.png", content)

    assert response.status_code == 400
    assert response.json() == too_many_pixels(*size)
    assert ImageRow.objects.count() == 0
    assert media_files(media_root) == []


@pytest.mark.parametrize("kind", [b"zTXt", b"iTXt", b"iCCP"])
@pytest.mark.parametrize("after_idat", [False, True], ids=["before-idat", "after-idat"])
def test_metadata_chunk_that_inflates_to_megabytes_is_refused_unread(
    basic_user, post_image, media_root, nothing_inflated, kind, after_idat
):
    content = png_with_metadata(
        (kind, text_bomb(kind, 64 * MIB)), after_idat=after_idat
    )
    assert len(content) < 128 * 1024

    response = post_image(basic_user, "bomb.png", content)

    assert response.status_code == 400
    assert response.json() == chunk_too_large(kind.decode())
    assert media_files(media_root) == []


def test_many_metadata_chunks_together_over_the_limit_are_refused_unread(
    basic_user, post_image, nothing_inflated
):
    # Each chunk stays under Pillow's limit for one chunk, and all of them
    # under Pillow's 64 MB for all text: Pillow alone would hold 9 MB.
    chunks = [(b"zTXt", text_bomb(b"zTXt", 1_000_000)) for _ in range(9)]

    response = post_image(basic_user, "bomb.png", png_with_metadata(*chunks))

    assert response.status_code == 400
    assert response.json() == METADATA_TOO_LARGE


def test_plain_text_chunks_over_the_limit_are_refused(basic_user, post_image):
    chunks = [(b"tEXt", b"Comment\0" + b"x" * (3 * MIB)) for _ in range(3)]

    response = post_image(basic_user, "notes.png", png_with_metadata(*chunks))

    assert response.status_code == 400
    assert response.json() == METADATA_TOO_LARGE


def test_metadata_within_the_limits_is_accepted(basic_user, post_image, fetch):
    chunks = [(b"zTXt", text_bomb(b"zTXt", 900_000)) for _ in range(8)]
    chunks.append((b"iTXt", text_bomb(b"iTXt", 900_000)))

    response = post_image(basic_user, "notes.png", png_with_metadata(*chunks))

    assert response.status_code == 201, response.content
    thumbnail = fetch(response.json()["thumbnails"]["200"])
    assert thumbnail.status_code == 200
    assert b"zTXt" not in thumbnail.body and b"iTXt" not in thumbnail.body


def test_compressed_metadata_that_is_not_zlib_is_accepted(basic_user, post_image):
    # Pillow keeps nothing of a stream it cannot inflate.
    content = png_with_metadata((b"zTXt", b"Comment\0\0not a zlib stream"))

    assert post_image(basic_user, "odd.png", content).status_code == 201


def test_configured_pixel_limit_above_pillows_own_is_honoured(
    premium_user, post_image, fetch, monkeypatch, settings
):
    # Pillow's own limit, made small here, stands for its default of about
    # 89 megapixels under a configured limit above it. Pillow checks it when
    # opening and cropping; both would refuse this 3 MP image.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)
    settings.IMAGEAPI_MAX_IMAGE_PIXELS = 4_000_000
    content = encode("PNG", size=(2000, 1500), mode="RGBA")

    response = post_image(premium_user, "large.png", content)

    assert response.status_code == 201, response.content
    for height, size in (("200", (267, 200)), ("400", (533, 400))):
        thumbnail = fetch(response.json()["thumbnails"][height])
        assert thumbnail.status_code == 200
        assert Image.open(io.BytesIO(thumbnail.body)).size == size


def test_configured_pixel_limit_above_pillows_own_still_refuses_above_it(
    basic_user, post_image, monkeypatch, settings, nothing_decoded
):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)
    settings.IMAGEAPI_MAX_IMAGE_PIXELS = 4_000_000

    response = post_image(basic_user, "large.png", declared_png(2001, 2000))

    assert response.status_code == 400
    assert response.json() == too_many_pixels(2001, 2000, limit=4_000_000)


NEEDS_PROC = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads the peak from /proc"
)
# Reads the process's own high-water mark of resident memory. getrusage()
# would report the pytest process's as well: Linux carries the peak of the
# process that forked over into the child's.
PEAK_MEMORY_PROBE = """
import io, sys
from uploads.imaging import InvalidImage, inspect_upload

def peak():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024

class Upload(io.BytesIO):
    size = property(lambda self: len(self.getvalue()))

upload = Upload(sys.stdin.buffer.read())
before = peak()
try:
    inspect_upload(upload, max_bytes=20 * 2**20, max_pixels=50_000_000,
                   heights=(200, 400))
    outcome = "accepted"
except InvalidImage as exc:
    outcome = exc.code
print(outcome, peak() - before)
"""


def peak_memory_of_inspecting(content):
    """Return (outcome, bytes the peak RSS grew by) of checking `content`."""
    result = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY_PROBE],
        input=content,
        capture_output=True,
        cwd=PROJECT,
        check=True,
        timeout=120,
    )
    outcome, grown = result.stdout.decode().split()
    return outcome, int(grown)


@NEEDS_PROC
@pytest.mark.parametrize(
    ("make", "outcome"),
    [
        pytest.param(
            lambda: declared_png(100_000, 100_000), "too_many_pixels", id="png"
        ),
        pytest.param(huge_bilevel_png, "too_many_pixels", id="png-bilevel-400mp"),
        pytest.param(huge_palette_png, "too_many_pixels", id="png-palette-400mp"),
        pytest.param(huge_jpeg, "too_many_pixels", id="jpeg"),
        pytest.param(
            lambda: png_with_metadata((b"zTXt", text_bomb(b"zTXt", 64 * MIB))),
            "metadata_too_large",
            id="ztxt-64mb",
        ),
        pytest.param(
            lambda: png_with_metadata((b"iCCP", text_bomb(b"iCCP", 64 * MIB))),
            "metadata_too_large",
            id="iccp-64mb",
        ),
        pytest.param(
            lambda: png_with_metadata(
                *[(b"zTXt", text_bomb(b"zTXt", 1_000_000)) for _ in range(60)]
            ),
            "metadata_too_large",
            id="ztxt-60-chunks",
        ),
    ],
)
def test_checking_a_bomb_keeps_memory_flat(make, outcome):
    refused, grown = peak_memory_of_inspecting(make())

    assert refused == outcome
    assert grown < 16 * MIB


@NEEDS_PROC
def test_memory_probe_sees_a_real_decode():
    # The same probe on an ordinary 12-megapixel PNG, which is decoded: the
    # bound above is far below what any decode of a bomb would take.
    outcome, grown = peak_memory_of_inspecting(encode("PNG", size=(4000, 3000)))

    assert outcome == "accepted"
    assert grown > 30 * MIB
