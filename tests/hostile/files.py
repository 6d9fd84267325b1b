"""Hostile and unusual files, made in memory with Pillow and raw bytes."""

import functools
import io
import os
import random
import struct
import zlib
from urllib.parse import urlsplit

from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def encode(image_format="PNG", size=(64, 48), mode="RGB", noise=False, **save):
    """Return an image of `size` encoded as `image_format`.

    With `noise` the pixels are pseudo-random (seeded), so compressed data
    fills the file instead of a few bytes.
    """
    image = Image.new(mode, size, _colour(mode))
    if noise:
        rng = random.Random(size[0] * 7919 + size[1])
        bands = len(image.getbands())
        image.frombytes(
            bytes(rng.randrange(256) for _ in range(size[0] * size[1] * bands))
        )
    buffer = io.BytesIO()
    image.save(buffer, image_format, **save)
    return buffer.getvalue()


def _colour(mode):
    return {"RGB": (200, 30, 60), "RGBA": (200, 30, 60, 128), "L": 128}.get(mode, 0)


def png_chunk(kind, data):
    """Return one PNG chunk: length, type, data and checksum."""
    checksum = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)


def png_chunks(png):
    """Return [(offset, kind, length)] of every chunk of a PNG."""
    chunks, offset = [], len(PNG_SIGNATURE)
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        chunks.append((offset, kind, length))
        offset += 12 + length
    return chunks


def png_with_chunk(png, chunk):
    """Return `png` with `chunk` inserted right before its IEND chunk."""
    iend = png.rindex(b"IEND") - 4
    return png[:iend] + chunk + png[iend:]


def png_with_bad_checksum(png, kind):
    """Return `png` with the checksum of its first `kind` chunk wrong."""
    for offset, chunk_kind, length in png_chunks(png):
        if chunk_kind == kind:
            at = offset + 8 + length
            wrong = bytes(b ^ 0xFF for b in png[at : at + 4])
            return png[:at] + wrong + png[at + 4 :]
    raise ValueError(f"No {kind!r} chunk.")


def jpeg_with_segment(jpeg, marker, payload):
    """Return `jpeg` with a segment inserted right after its SOI marker."""
    segment = b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2)
    return jpeg[:2] + segment + payload + jpeg[2:]


def tiff_block(entries, first_ifd=8):
    """Return a little-endian TIFF header and one IFD, as EXIF carries them.

    `entries` are (tag, type, count, four value bytes); offsets inside them
    count from the start of the header, as in EXIF.
    """
    block = b"II*\x00" + struct.pack("<I", first_ifd)
    block += struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        block += struct.pack("<HHI", tag, kind, count) + value
    return block + struct.pack("<I", 0)


def exif_segment(tiff):
    """Return the payload of a JPEG APP1 segment holding `tiff` as EXIF."""
    return b"Exif\x00\x00" + tiff


def media_files(root):
    """Return the sorted storage names of every file under `root`."""
    names = []
    for folder, _, filenames in os.walk(root):
        for filename in filenames:
            path = os.path.join(folder, filename)
            names.append(os.path.relpath(path, root).replace(os.sep, "/"))
    return sorted(names)


def decode(content):
    """Return the PIL image in `content`, fully loaded."""
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def body_of(response):
    """Return all the bytes of a response, streamed or not."""
    if response.streaming:
        # Reading to the end closes the response the way the test client
        # means to; closing it again here would send request_finished a
        # second time and drop the test's database connection.
        return b"".join(response.streaming_content)
    return response.content


def fetch(client, url):
    """GET an absolute link of the API through a test client."""
    parts = urlsplit(url)
    return client.get(parts.path + (f"?{parts.query}" if parts.query else ""))


def packed_row(samples, bit_depth):
    """Return PNG samples packed into bytes: bits for 1 to 4, big-endian 16."""
    if bit_depth == 16:
        return struct.pack(f">{len(samples)}H", *samples)
    if bit_depth == 8:
        return bytes(samples)
    per_byte = 8 // bit_depth
    padded = list(samples) + [0] * (-len(samples) % per_byte)
    packed = bytearray()
    for start in range(0, len(padded), per_byte):
        byte = 0
        for sample in padded[start : start + per_byte]:
            byte = (byte << bit_depth) | sample
        packed.append(byte)
    return bytes(packed)


def png_image(
    size, bit_depth, colour_type, row, *, before_idat=(), after_idat=(), level=9
):
    """Return a PNG of `size` whose every row is `row` (packed, no filter byte).

    The pixel data is compressed row by row, so an image of hundreds of
    megapixels costs no more memory to make than one row. `before_idat` and
    `after_idat` are whole chunks placed around the pixel data.
    """
    width, height = size
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    compressor = zlib.compressobj(level)
    line = b"\x00" + row
    pixels = b"".join(compressor.compress(line) for _ in range(height))
    pixels += compressor.flush()
    return b"".join(
        [
            PNG_SIGNATURE,
            png_chunk(b"IHDR", header),
            *before_idat,
            png_chunk(b"IDAT", pixels),
            *after_idat,
            png_chunk(b"IEND", b""),
        ]
    )


def two_part_png(size, bit_depth, colour_type, left, right, **chunks):
    """Return a PNG whose left half holds the samples `left`, its right `right`."""
    width, _ = size
    half = width // 2
    samples = list(left) * half + list(right) * (width - half)
    return png_image(
        size, bit_depth, colour_type, packed_row(samples, bit_depth), **chunks
    )


@functools.cache
def zlib_bomb(size):
    """Return a zlib stream of `size` zero bytes, made without holding them."""
    compressor = zlib.compressobj(9)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(size // len(block))]
    parts.append(compressor.compress(bytes(size % len(block))))
    return b"".join(parts) + compressor.flush()


def jpeg_with_size(jpeg, width, height):
    """Return `jpeg` with the size in its frame header changed."""
    at = jpeg.index(b"\xff\xc0") + 5
    return jpeg[:at] + struct.pack(">HH", height, width) + jpeg[at + 4 :]
