"""ICC colour profiles built byte by byte, for tests of colour handling.

Pillow can only make sRGB, Lab and XYZ profiles; these cover a wide-gamut
RGB display, a grey display and a CMYK press, in version 2 of the format.
"""

import struct

# The profile connection space's white, D50, as every profile states it.
D50 = (0.9642, 1.0, 0.8249)
# Display P3's primaries as XYZ columns adapted to D50 (Bradford).
P3_COLORANTS = (
    (0.5151, 0.2412, -0.0011),
    (0.2920, 0.6922, 0.0419),
    (0.1571, 0.0666, 0.7841),
)
# sRGB's primaries likewise, to turn an sRGB colour into XYZ.
SRGB_COLORANTS = (
    (0.4361, 0.2225, 0.0139),
    (0.3851, 0.7169, 0.0971),
    (0.1431, 0.0606, 0.7141),
)
# The sRGB colour each ink prints on white paper in the press profile below:
# a real cyan is far from the (0, 255, 255) of a naive conversion.
INK_COLOURS = {
    "cyan": (0, 160, 230),
    "magenta": (230, 0, 140),
    "yellow": (255, 235, 0),
    "black": (35, 31, 32),
}


def s15fixed16(value):
    return struct.pack(">i", round(value * 65536))


def xyz_tag(xyz):
    return b"XYZ \0\0\0\0" + b"".join(s15fixed16(v) for v in xyz)


def gamma_curve_tag(gamma):
    return b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"


def text_tag(text):
    return b"text\0\0\0\0" + text.encode("ascii") + b"\0"


def description_tag(text):
    ascii_text = text.encode("ascii") + b"\0"
    return (
        b"desc\0\0\0\0"
        + struct.pack(">I", len(ascii_text))
        + ascii_text
        + struct.pack(">II", 0, 0)
        + struct.pack(">HB", 0, 0)
        + b"\0" * 67
    )


def profile(device_class, colour_space, connection_space, tags):
    """Return a whole profile: header, tag table and the `tags` {signature: data}."""
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    entries, blobs = [], []
    for signature, data in tags.items():
        padded = data + b"\0" * (-len(data) % 4)
        entries.append(struct.pack(">4sII", signature, offset, len(data)))
        blobs.append(padded)
        offset += len(padded)
    header = (
        struct.pack(">I", offset)
        + b"\0\0\0\0"
        + struct.pack(">I", 0x02100000)
        + device_class
        + colour_space
        + connection_space
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)
        + b"".join(s15fixed16(v) for v in D50)
        + b"\0" * 48
    )
    table = struct.pack(">I", len(tags)) + b"".join(entries)
    return header + table + b"".join(blobs)


def rgb_profile(colorants=P3_COLORANTS, gamma=2.2, name="Wide test RGB"):
    """Return a matrix-and-curve RGB display profile."""
    red, green, blue = colorants
    curve = gamma_curve_tag(gamma)
    return profile(
        b"mntr",
        b"RGB ",
        b"XYZ ",
        {
            b"desc": description_tag(name),
            b"cprt": text_tag("No copyright, test data"),
            b"wtpt": xyz_tag(D50),
            b"rXYZ": xyz_tag(red),
            b"gXYZ": xyz_tag(green),
            b"bXYZ": xyz_tag(blue),
            b"rTRC": curve,
            b"gTRC": curve,
            b"bTRC": curve,
        },
    )


def grey_profile(gamma=1.0, name="Linear test grey"):
    """Return a grey display profile with a plain gamma curve."""
    return profile(
        b"mntr",
        b"GRAY",
        b"XYZ ",
        {
            b"desc": description_tag(name),
            b"cprt": text_tag("No copyright, test data"),
            b"wtpt": xyz_tag(D50),
            b"kTRC": gamma_curve_tag(gamma),
        },
    )


def linear(channel):
    """Return an 8-bit sRGB channel as linear light, 0 to 1."""
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def srgb_to_xyz(rgb):
    """Return the D50 XYZ of an 8-bit sRGB colour."""
    lights = [linear(channel) for channel in rgb]
    return tuple(
        sum(SRGB_COLORANTS[band][axis] * lights[band] for band in range(3))
        for axis in range(3)
    )


def press_colour(cyan, magenta, yellow, black):
    """Return the linear RGB light of a corner of the press: inks multiply."""
    light = [1.0, 1.0, 1.0]
    for present, ink in zip(
        (cyan, magenta, yellow, black), INK_COLOURS.values(), strict=True
    ):
        if present:
            light = [
                level * linear(channel)
                for level, channel in zip(light, ink, strict=True)
            ]
    return light


def cmyk_profile(name="Test press CMYK"):
    """Return a CMYK output profile whose inks print INK_COLOURS.

    Its A2B0 table has two points per ink: every corner of the CMYK cube is
    exact, and the colours between are interpolated.
    """
    clut = b""
    for corner in range(16):
        inks = [(corner >> shift) & 1 for shift in (3, 2, 1, 0)]
        light = press_colour(*inks)
        xyz = [
            sum(SRGB_COLORANTS[band][axis] * light[band] for band in range(3))
            for axis in range(3)
        ]
        # lut16 encodes XYZ as 1.15 fixed point.
        clut += b"".join(struct.pack(">H", round(v * 32768)) for v in xyz)
    identity = struct.pack(">HH", 0, 65535)
    lut = (
        b"mft2\0\0\0\0"
        + struct.pack(">BBBB", 4, 3, 2, 0)
        + b"".join(s15fixed16(v) for v in (1, 0, 0, 0, 1, 0, 0, 0, 1))
        + struct.pack(">HH", 2, 2)
        + identity * 4
        + clut
        + identity * 3
    )
    return profile(
        b"prtr",
        b"CMYK",
        b"XYZ ",
        {
            b"desc": description_tag(name),
            b"cprt": text_tag("No copyright, test data"),
            b"wtpt": xyz_tag(D50),
            b"A2B0": lut,
        },
    )
