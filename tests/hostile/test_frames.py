"""Item 7: animated PNGs and multi-picture JPEGs: accepted, first frame shown."""

import struct

import pytest
from PIL import Image

from conftest import encode as encode_image
from conftest import exif_with

from .files import decode, png_chunks

RED, GREEN, BLUE, GREY = (255, 0, 0), (0, 255, 0), (0, 0, 255), (128, 128, 128)


def frame(colour, size=(600, 400), mode="RGB"):
    return Image.new(mode, size, colour)


def apng(first, *others, **save):
    return encode_image(first, "PNG", save_all=True, append_images=list(others), **save)


def mpo(first, *others, **save):
    return encode_image(first, "MPO", save_all=True, append_images=list(others), **save)


def with_picture_count(content, count):
    """Return an MPO whose index claims `count` pictures, whatever it holds."""
    index = content.index(b"MPF\x00")
    # NumberOfImages: tag B001, LONG, one value, little-endian as Pillow writes.
    tag = content.index(b"\x01\xb0\x04\x00\x01\x00\x00\x00", index)
    return content[: tag + 8] + struct.pack("<I", count) + content[tag + 12 :]


def without_picture_list(content):
    """Return an MPO whose index lost its list of pictures (tag B002)."""
    tag = content.index(b"\x02\xb0\x07\x00", content.index(b"MPF\x00"))
    return content[:tag] + b"\x99\xb0" + content[tag + 2 :]


def thumbnail_of(fetch, body, height="200"):
    response = fetch(body["thumbnails"][height])
    assert response.status_code == 200
    return response, decode(response.body)


def test_animated_png_is_accepted_and_its_thumbnail_is_the_first_frame(
    premium_user, upload_image, fetch
):
    content = apng(frame(RED), frame(GREEN), frame(BLUE), duration=100, loop=0)
    assert decode(content).n_frames == 3
    body = upload_image(premium_user, "animated.png", content)

    response, thumbnail = thumbnail_of(fetch, body)

    assert (body["format"], body["width"], body["height"]) == ("png", 600, 400)
    assert (thumbnail.format, thumbnail.size) == ("PNG", (300, 200))
    assert thumbnail.convert("RGB").getpixel((150, 100)) == RED
    # A still picture: no animation control or further frames.
    kinds = {kind for _, kind, _ in png_chunks(response.body)}
    assert kinds.isdisjoint({b"acTL", b"fcTL", b"fdAT"})


def test_animated_png_original_link_serves_the_uploaded_bytes(
    premium_user, upload_image, fetch
):
    content = apng(frame(RED), frame(GREEN), duration=100)
    body = upload_image(premium_user, "animated.png", content)

    response = fetch(body["original"])

    assert response.status_code == 200
    assert response.body == content


def test_animated_png_whose_static_image_is_not_a_frame_shows_the_first_frame(
    basic_user, upload_image, fetch
):
    # The static image is what viewers without APNG show; players start at
    # the first frame, drawn on a transparent canvas. Here the first frame
    # is green on its left half and transparent on its right.
    first = frame((0, 0, 0, 0), mode="RGBA")
    first.paste((*GREEN, 255), (0, 0, 300, 400))
    content = apng(
        frame((*GREY, 255), mode="RGBA"),
        first,
        frame((*BLUE, 255), mode="RGBA"),
        default_image=True,
    )
    body = upload_image(basic_user, "poster.png", content)

    _, thumbnail = thumbnail_of(fetch, body)

    assert (thumbnail.mode, thumbnail.size) == ("RGBA", (300, 200))
    assert thumbnail.getpixel((75, 100)) == (*GREEN, 255)
    # Not the grey static image showing through the transparent half.
    assert thumbnail.getpixel((225, 100))[3] == 0


def test_animated_palette_png_thumbnail_is_the_first_frame(
    basic_user, upload_image, fetch
):
    frames = [frame(colour).convert("P") for colour in (RED, GREEN, BLUE)]
    body = upload_image(basic_user, "animated.png", apng(*frames, duration=50))

    _, thumbnail = thumbnail_of(fetch, body)

    assert thumbnail.convert("RGB").getpixel((150, 100)) == RED


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda content: content, id="intact"),
        pytest.param(lambda content: with_picture_count(content, 3), id="count-wrong"),
        pytest.param(without_picture_list, id="no-picture-list"),
        pytest.param(
            lambda content: content[: content.rindex(b"\xff\xd8") + 200],
            id="second-picture-cut",
        ),
    ],
)
def test_multi_picture_jpeg_is_accepted_and_its_thumbnail_is_the_first_picture(
    premium_user, upload_image, fetch, damage
):
    # As phones write them: a photo, then a smaller picture (a depth or gain
    # map) of another colour and shape. Its index may be wrong or the later
    # pictures cut short: only the first is ever needed.
    content = damage(mpo(frame(RED), frame(BLUE, size=(60, 90))))
    body = upload_image(premium_user, "phone.jpg", content)

    response, thumbnail = thumbnail_of(fetch, body, "400")

    assert (body["format"], body["width"], body["height"]) == ("jpeg", 600, 400)
    assert response["Content-Type"] == "image/jpeg"
    assert (thumbnail.format, thumbnail.size) == ("JPEG", (600, 400))
    red, green, blue = thumbnail.getpixel((300, 200))
    assert red > 240 and green < 16 and blue < 16
    # One picture, with no index of others.
    assert b"MPF\x00" not in response.body
    assert response.body.count(b"\xff\xd8") == 1
    assert fetch(body["original"]).body == content


def test_multi_picture_jpeg_thumbnail_follows_the_first_pictures_orientation(
    basic_user, upload_image, fetch
):
    content = mpo(frame(RED), frame(BLUE, size=(60, 90)), exif=exif_with(6))
    body = upload_image(basic_user, "phone.jpg", content)

    _, thumbnail = thumbnail_of(fetch, body)

    assert (body["width"], body["height"]) == (400, 600)
    assert thumbnail.size == (133, 200)


def test_jpeg_with_a_video_after_it_is_accepted_as_its_picture(
    premium_user, upload_image, fetch
):
    # Motion photos append a short video after the picture's end marker.
    video = struct.pack(">I", 24) + b"ftypmp42" + bytes(12) + b"\x00" * 4096
    content = encode_image(frame(RED), "JPEG") + video
    body = upload_image(premium_user, "motion.jpg", content)

    _, thumbnail = thumbnail_of(fetch, body)

    assert (thumbnail.format, thumbnail.size) == ("JPEG", (300, 200))
    assert fetch(body["original"]).body == content
