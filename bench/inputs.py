"""The three source images the benchmark measures, made once and kept.

The sample photos next to the project are smaller than the sizes the
benchmark needs, so they are enlarged to cover the target size and given a
fine grain: enlarged photos are unnaturally smooth and would compress (and
decode) far faster than what a camera produces. Without samples, a
photo-like picture is drawn: soft gradients, blurred shapes and grain.
"""

import random
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "samples"

# name: (format, mode, size)
INPUTS = {
    "jpeg-12mp": ("JPEG", "RGB", (4000, 3000)),
    "png-rgba-2000": ("PNG", "RGBA", (2000, 2000)),
    "png-rgb-12mp": ("PNG", "RGB", (4000, 3000)),
}
EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png"}


def prepare(folder):
    """Return ({name: path}, origin) of the inputs, made in `folder` if new.

    `origin` says whether they come from the sample photos or were drawn.
    """
    sources = _sample_sources()
    origin = "samples" if sources else "synthetic"
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, (image_format, mode, size) in INPUTS.items():
        path = folder / f"{origin}-{name}{EXTENSIONS[image_format]}"
        if not path.exists():
            if sources:
                picture = _from_sample(sources[name], mode, size)
            else:
                picture = _synthetic(mode, size, seed=len(paths))
            partial = path.with_suffix(".partial")
            picture.save(partial, image_format, **_save_options(image_format))
            partial.rename(path)
        paths[name] = path
    return paths, origin


def _save_options(image_format):
    if image_format == "JPEG":
        # What a phone camera writes: high quality, 4:2:0 chroma.
        return {"quality": 92, "subsampling": "4:2:0"}
    return {}


def _sample_sources():
    """Pick a sample photo for each input, or return None without samples."""
    if not SAMPLES.is_dir():
        return None
    photos = []
    for path in sorted(SAMPLES.iterdir()):
        try:
            with Image.open(path) as image:
                alpha = (
                    image.getchannel("A").getextrema()
                    if image.mode == "RGBA"
                    else (255, 255)
                )
                photos.append((image.width * image.height, path, image.format, alpha))
        except OSError:
            continue
    jpegs = sorted((p for p in photos if p[2] == "JPEG"), reverse=True)
    translucent = sorted((p for p in photos if p[3][0] < 255), reverse=True)
    if len(jpegs) < 2 or not translucent:
        return None
    return {
        "jpeg-12mp": jpegs[0][1],
        "png-rgb-12mp": jpegs[1][1],
        "png-rgba-2000": translucent[0][1],
    }


def _from_sample(path, mode, size):
    with Image.open(path) as image:
        picture = _cover(image.convert(mode), size)
    return _grain(picture)


def _cover(image, size):
    """Scale `image` to cover `size` and crop the overflow evenly."""
    width, height = size
    scale = max(width / image.width, height / image.height)
    scaled = (
        max(width, round(image.width * scale)),
        max(height, round(image.height * scale)),
    )
    image = image.resize(scaled, Image.Resampling.LANCZOS)
    left = (image.width - width) // 2
    top = (image.height - height) // 2
    return image.crop((left, top, left + width, top + height))


def _grain(image, sigma=5):
    """Add sensor-like noise to the colour bands, leaving alpha alone."""
    bands = image.split()
    noisy = [
        ImageChops.add(
            band, Image.effect_noise(image.size, sigma).convert("L"), 1, -128
        )
        for band in bands[:3]
    ]
    return Image.merge(image.mode, noisy + list(bands[3:]))


def _synthetic(mode, size, seed):
    """Draw a photo-like picture: gradients, soft shapes, grain."""
    rng = random.Random(seed)
    small = (size[0] // 4, size[1] // 4)
    red = Image.linear_gradient("L").rotate(rng.randrange(360)).resize(small)
    green = Image.radial_gradient("L").resize(small)
    blue = Image.linear_gradient("L").rotate(rng.randrange(360)).resize(small)
    picture = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(picture)
    for _ in range(40):
        x, y = rng.randrange(small[0]), rng.randrange(small[1])
        radius = rng.randrange(small[1] // 30, small[1] // 4)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
    picture = picture.filter(ImageFilter.GaussianBlur(small[1] / 150))
    picture = picture.resize(size, Image.Resampling.BICUBIC)
    if mode == "RGBA":
        alpha = Image.radial_gradient("L").resize(size).point(lambda v: 255 - v)
        picture.putalpha(alpha)
    return _grain(picture)
