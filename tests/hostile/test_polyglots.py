"""Item 10: images that are also HTML or script are only ever served as images."""

import zlib

import pytest

from .files import (
    body_of,
    decode,
    encode,
    fetch,
    jpeg_with_segment,
    png_chunk,
    png_with_chunk,
)

SCRIPT = b"<html><body><script>alert(document.domain)</script></body></html>"


def _png_with_text_chunk():
    return png_with_chunk(
        encode("PNG", size=(40, 30)), png_chunk(b"tEXt", b"x\x00" + SCRIPT)
    )


def _png_with_compressed_text_chunk():
    return png_with_chunk(
        encode("PNG", size=(40, 30)),
        png_chunk(b"zTXt", b"x\x00\x00" + zlib.compress(SCRIPT)),
    )


def _png_then_html():
    return encode("PNG", size=(40, 30)) + b"\n" + SCRIPT


def _jpeg_with_comment():
    return jpeg_with_segment(encode("JPEG", size=(40, 30)), 0xFE, SCRIPT)


def _jpeg_then_html():
    return encode("JPEG", size=(40, 30)) + SCRIPT


POLYGLOTS = {
    "PNG with HTML in a text chunk": (_png_with_text_chunk, "image/png"),
    "PNG with HTML in a compressed text chunk": (
        _png_with_compressed_text_chunk,
        "image/png",
    ),
    "PNG with HTML after its end": (_png_then_html, "image/png"),
    "JPEG with HTML in a comment": (_jpeg_with_comment, "image/jpeg"),
    "JPEG with HTML after its end": (_jpeg_then_html, "image/jpeg"),
}


@pytest.mark.parametrize(("make", "content_type"), POLYGLOTS.values(), ids=POLYGLOTS)
def test_polyglot_is_served_as_its_image_type_never_sniffed(
    enterprise_user, post_image, client_for, anonymous_client, make, content_type
):
    content = make()

    response = post_image(
        enterprise_user, "page.html", content, content_type="text/html"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    links = [body["original"], *body["thumbnails"].values()]
    expiring = client_for(enterprise_user).post(
        body["expiring_links"], {"expires_in": 600}, format="json"
    )
    links.append(expiring.json()["url"])
    for link in links:
        served = fetch(anonymous_client, link)
        assert served.status_code == 200
        assert served["Content-Type"] == content_type
        assert served["X-Content-Type-Options"] == "nosniff"
        assert served["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert served["Content-Disposition"].startswith("inline;")


@pytest.mark.parametrize(("make", "content_type"), POLYGLOTS.values(), ids=POLYGLOTS)
def test_polyglot_thumbnails_carry_none_of_the_script(
    premium_user, post_image, anonymous_client, make, content_type
):
    body = post_image(premium_user, "page.html", make()).json()

    for link in body["thumbnails"].values():
        thumbnail = body_of(fetch(anonymous_client, link))
        assert decode(thumbnail).size == (40, 30)
        assert b"<script" not in thumbnail


@pytest.mark.parametrize(("make", "content_type"), POLYGLOTS.values(), ids=POLYGLOTS)
def test_polyglot_original_is_served_unchanged(
    premium_user, post_image, anonymous_client, make, content_type
):
    content = make()

    body = post_image(premium_user, "page.html", content).json()

    assert body_of(fetch(anonymous_client, body["original"])) == content


def test_html_behind_a_png_signature_is_refused(basic_user, post_image):
    response = post_image(basic_user, "page.png", b"\x89PNG\r\n\x1a\n" + SCRIPT)

    assert response.status_code == 400
    assert response.json() == {"image": ["The image data is truncated or corrupt."]}
