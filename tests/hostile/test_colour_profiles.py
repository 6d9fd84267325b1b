"""Item 8: thumbnails show the colours their originals' profiles describe.

Decision: a thumbnail keeps its original's ICC profile when the profile
describes the thumbnail's pixels (RGB or grey). That is free, exact, and
keeps wide-gamut colours on wide-gamut screens. CMYK pixels are converted to
sRGB, through their own profile when they carry one, and carry no profile.
A profile that does not describe the pixels, or cannot be read, is dropped,
as browsers ignore it too.
"""

import io
import zlib

import pytest
from PIL import Image, ImageCms

from conftest import encode as encode_image

from .files import decode, png_chunk, png_chunks, png_image
from .icc import INK_COLOURS, cmyk_profile, grey_profile, rgb_profile

SIZE = (300, 240)
# Colours inside sRGB's gamut whose numbers differ a lot between a
# Display P3-like profile and sRGB, so a lost profile cannot go unnoticed.
SWATCHES = [(200, 120, 60), (60, 180, 90), (70, 90, 200), (128, 128, 128)]


def srgb_profile():
    return ImageCms.createProfile("sRGB")


def as_srgb(image):
    """Return `image` as the sRGB a browser shows, reading its profile if any."""
    icc = image.info.get("icc_profile")
    if not icc:
        return image.convert("RGB")
    return ImageCms.profileToProfile(
        image,
        ImageCms.ImageCmsProfile(io.BytesIO(icc)),
        srgb_profile(),
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        outputMode="RGB",
    )


def stripes(mode, colours, size=SIZE):
    """Return an image of vertical stripes, one per colour."""
    width, height = size
    image = Image.new(mode, size)
    step = width // len(colours)
    for index, colour in enumerate(colours):
        image.paste(colour, (index * step, 0, (index + 1) * step, height))
    return image


def stripe_middles(image, count):
    """Return the colour in the middle of each of `count` vertical stripes."""
    width, height = image.size
    step = width / count
    return [image.getpixel((int((i + 0.5) * step), height // 2)) for i in range(count)]


def close(actual, expected, tolerance):
    return all(
        abs(a - b) <= tolerance
        for pixel, wanted in zip(actual, expected, strict=True)
        for a, b in zip(pixel, wanted, strict=True)
    )


def thumbnail_of(upload_image, fetch, user, name, content):
    body = upload_image(user, name, content)
    response = fetch(body["thumbnails"]["200"])
    assert response.status_code == 200
    return decode(response.body), response.body


@pytest.mark.parametrize(
    ("image_format", "name", "tolerance"),
    [("JPEG", "wide.jpg", 6), ("PNG", "wide.png", 1)],
)
def test_wide_gamut_thumbnail_shows_the_originals_colours(
    basic_user, upload_image, fetch, image_format, name, tolerance
):
    profile = rgb_profile()
    original = stripes("RGB", SWATCHES)
    original.info["icc_profile"] = profile
    content = encode_image(original, image_format, icc_profile=profile, quality=95)

    thumbnail, _ = thumbnail_of(upload_image, fetch, basic_user, name, content)

    assert thumbnail.info["icc_profile"] == profile
    seen = stripe_middles(as_srgb(thumbnail), len(SWATCHES))
    meant = stripe_middles(as_srgb(original), len(SWATCHES))
    assert close(seen, meant, tolerance), (seen, meant)
    # The raw numbers read as sRGB are visibly other colours: a thumbnail
    # that lost its profile would fail the check above.
    raw = stripe_middles(thumbnail.convert("RGB"), len(SWATCHES))
    assert not close(raw, meant, 10)


def test_palette_png_with_a_profile_keeps_it_on_its_colour_thumbnail(
    basic_user, upload_image, fetch
):
    profile = rgb_profile()
    original = stripes("RGB", SWATCHES)
    content = encode_image(
        original.quantize(colors=len(SWATCHES)), "PNG", icc_profile=profile
    )
    assert decode(content).mode == "P"

    thumbnail, _ = thumbnail_of(upload_image, fetch, basic_user, "wide.png", content)

    assert (thumbnail.mode, thumbnail.info["icc_profile"]) == ("RGB", profile)
    original.info["icc_profile"] = profile
    seen = stripe_middles(as_srgb(thumbnail), len(SWATCHES))
    assert close(seen, stripe_middles(as_srgb(original), len(SWATCHES)), 1)


@pytest.mark.parametrize("bit_depth", [8, 16])
def test_grey_png_with_a_grey_profile_keeps_it(
    basic_user, upload_image, fetch, bit_depth
):
    # A linear grey profile: level 64 of 255 is a light grey, near 137 in
    # sRGB, where the raw number would show a dark one.
    profile = grey_profile(gamma=1.0)
    level = 64 if bit_depth == 8 else 64 * 257
    iccp = png_chunk(b"iCCP", b"Linear grey\0\0" + zlib.compress(profile))
    row = level.to_bytes(bit_depth // 8, "big") * SIZE[0]
    content = png_image(SIZE, bit_depth, 0, row, before_idat=[iccp])

    thumbnail, _ = thumbnail_of(upload_image, fetch, basic_user, "grey.png", content)

    assert (thumbnail.mode, thumbnail.info["icc_profile"]) == ("L", profile)
    assert thumbnail.getpixel((100, 100)) == 64
    shown = as_srgb(thumbnail).getpixel((100, 100))
    assert all(abs(channel - 137) <= 2 for channel in shown), shown


def cmyk_swatches():
    """Return a CMYK image of one stripe per ink, full strength."""
    inks = [(255, 0, 0, 0), (0, 255, 0, 0), (0, 0, 255, 0), (0, 0, 0, 255)]
    return stripes("CMYK", inks, size=(400, 240))


def test_cmyk_jpeg_with_a_profile_becomes_the_colours_its_inks_print(
    basic_user, upload_image, fetch
):
    profile = cmyk_profile()
    content = encode_image(cmyk_swatches(), "JPEG", quality=95, icc_profile=profile)

    thumbnail, body = thumbnail_of(
        upload_image, fetch, basic_user, "print.jpg", content
    )

    assert (thumbnail.format, thumbnail.mode, thumbnail.size) == (
        "JPEG",
        "RGB",
        (333, 200),
    )
    # sRGB pixels, and never the CMYK profile on them.
    assert "icc_profile" not in thumbnail.info
    assert b"ICC_PROFILE" not in body
    seen = stripe_middles(thumbnail, 4)
    assert close(seen, list(INK_COLOURS.values()), 8), seen
    # A naive conversion would give pure cyan, magenta, yellow and black.
    assert not close(seen[:1], [(0, 255, 255)], 40)


def test_cmyk_jpeg_with_an_unusable_profile_is_converted_without_it(
    basic_user, upload_image, fetch
):
    # An RGB profile on CMYK pixels says nothing about their inks.
    content = encode_image(
        cmyk_swatches(), "JPEG", quality=95, icc_profile=rgb_profile()
    )

    thumbnail, _ = thumbnail_of(upload_image, fetch, basic_user, "print.jpg", content)

    assert "icc_profile" not in thumbnail.info
    assert close(stripe_middles(thumbnail, 4)[:1], [(0, 255, 255)], 8)


@pytest.mark.parametrize(
    ("mode", "profile", "image_format"),
    [
        pytest.param("RGB", cmyk_profile(), "JPEG", id="rgb-jpeg-cmyk-profile"),
        pytest.param("RGB", grey_profile(), "PNG", id="rgb-png-grey-profile"),
        pytest.param("L", rgb_profile(), "JPEG", id="grey-jpeg-rgb-profile"),
        pytest.param("RGB", b"not a profile" * 20, "JPEG", id="rgb-jpeg-garbage"),
        pytest.param("RGB", b"not a profile" * 20, "PNG", id="rgb-png-garbage"),
    ],
)
def test_profile_that_does_not_describe_the_pixels_is_dropped(
    basic_user, upload_image, fetch, mode, profile, image_format
):
    colour = (200, 120, 60) if mode == "RGB" else 120
    content = encode_image(
        Image.new(mode, SIZE, colour), image_format, icc_profile=profile
    )

    thumbnail, _ = thumbnail_of(upload_image, fetch, basic_user, "odd.img", content)

    assert "icc_profile" not in thumbnail.info
    assert thumbnail.mode == mode


def test_srgb_tagged_photo_keeps_its_profile(basic_user, upload_image, fetch):
    profile = ImageCms.ImageCmsProfile(srgb_profile()).tobytes()
    content = encode_image(
        Image.new("RGB", SIZE, SWATCHES[0]), "JPEG", icc_profile=profile
    )

    thumbnail, _ = thumbnail_of(upload_image, fetch, basic_user, "photo.jpg", content)

    assert thumbnail.info["icc_profile"] == profile


def png_colour_chunks(content):
    """Return {kind: data} of a PNG's sRGB, gAMA, cHRM and iCCP chunks."""
    found = {}
    for offset, kind, length in png_chunks(content):
        if kind in (b"sRGB", b"gAMA", b"cHRM", b"iCCP"):
            found[kind] = content[offset + 8 : offset + 8 + length]
    return found


GAMMA_1 = (100000).to_bytes(4, "big")
P3_CHROMATICITIES = b"".join(
    value.to_bytes(4, "big")
    for value in (31270, 32900, 68000, 32000, 26500, 69000, 15000, 6000)
)


@pytest.mark.parametrize(
    "chunks",
    [
        pytest.param({b"gAMA": GAMMA_1}, id="gamma"),
        pytest.param({b"gAMA": GAMMA_1, b"cHRM": P3_CHROMATICITIES}, id="gamma-chrm"),
        pytest.param(
            {b"sRGB": b"\x00", b"gAMA": (45455).to_bytes(4, "big")}, id="srgb"
        ),
    ],
)
def test_png_colour_chunks_without_a_profile_are_kept(
    basic_user, upload_image, fetch, chunks
):
    # Browsers apply gAMA and cHRM when a PNG has no profile: a linear PNG
    # would turn dark if its thumbnail lost them.
    built = [png_chunk(kind, data) for kind, data in chunks.items()]
    content = png_image(SIZE, 8, 2, bytes([60, 120, 200]) * SIZE[0], before_idat=built)

    _, body = thumbnail_of(upload_image, fetch, basic_user, "linear.png", content)

    assert png_colour_chunks(body) == chunks


def test_png_with_a_profile_keeps_it_and_no_srgb_chunk_beside_it(
    basic_user, upload_image, fetch
):
    profile = rgb_profile()
    iccp = png_chunk(b"iCCP", b"P3\0\0" + zlib.compress(profile))
    content = png_image(SIZE, 8, 2, bytes([60, 120, 200]) * SIZE[0], before_idat=[iccp])

    thumbnail, body = thumbnail_of(upload_image, fetch, basic_user, "wide.png", content)

    assert thumbnail.info["icc_profile"] == profile
    assert set(png_colour_chunks(body)) == {b"iCCP"}
