"""Thumbnail figures: the product's code path against pyvips' thumbnail.

Each side runs in a fresh child process (`python -m bench.thumbs SIDE ...`)
so that its peak memory, read from the kernel's high-water mark, is its own.
Peak memory is reported as the growth of that mark over what the child held
once its libraries were loaded and warmed up on a tiny image: the memory the
work itself costs, without the interpreter and the imports of either side.
"""

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .stats import Figure

HEIGHTS = (200, 400)
SIDES = ("product", "pyvips")


def measure(inputs, *, children, runs, env):
    """Return {input name: {side: (time Figure, memory Figure)}}.

    Runs `children` fresh processes per side and input, alternating sides so
    that a slow spell of the machine hits both, each timing `runs` passes.
    """
    results = {}
    for name, path in inputs.items():
        warm_up = _tiny_copy(path)
        samples = {side: ([], []) for side in SIDES}
        for _ in range(children):
            for side in SIDES:
                times, peak = _run_child(side, path, warm_up, runs, env)
                samples[side][0].extend(times)
                samples[side][1].append(peak / 1024)
        results[name] = {
            side: (Figure.of(times, "ms"), Figure.of(peaks, "MiB"))
            for side, (times, peaks) in samples.items()
        }
    return results


def _run_child(side, path, warm_up, runs, env):
    child_env = dict(env, VIPS_CONCURRENCY="1")
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.thumbs",
            side,
            str(path),
            str(warm_up),
            str(runs),
        ],
        env=child_env,
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if output.returncode != 0:
        raise RuntimeError(f"{side} thumbnail child failed:\n{output.stderr}")
    result = json.loads(output.stdout.strip().splitlines()[-1])
    return result["times_ms"], result["peak_kib"]


def _memory_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} is not in /proc/self/status")


class ProductSide:
    """Make a Premium tier's thumbnails the way the product does."""

    def __init__(self, path):
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
        django.setup()
        from django.core.files import File
        from django.core.files.storage import default_storage

        from uploads.models import Image

        suffix = Path(path).suffix
        self.storage = default_storage
        self.image = Image(format="jpeg" if suffix == ".jpg" else "png")
        with open(path, "rb") as source:
            self.image.file.name = default_storage.save(
                f"images/be/{secrets.token_hex(8)}/original{suffix}", File(source)
            )

    def run(self):
        from uploads import services

        services.make_thumbnails(self.image, HEIGHTS)

    def reset(self):
        from django.core.cache import cache

        for height in HEIGHTS:
            name = f"{self.image.folder}/{height}{Path(self.image.file.name).suffix}"
            self.storage.delete(name)
        # imagekit remembers which files exist; forget it so they are made again.
        cache.clear()


class PyvipsSide:
    """Make the same thumbnails with pyvips' thumbnail, one height at a time."""

    def __init__(self, path):
        import pyvips
        from django.conf import settings

        pyvips.cache_set_max(0)  # otherwise a repeat is answered from cache
        self.pyvips = pyvips
        self.path = str(path)
        self.suffix = Path(path).suffix
        self.folder = tempfile.mkdtemp(prefix="bench-vips-")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
        import django

        django.setup()
        if self.suffix == ".jpg":
            self.options = {"Q": settings.IMAGEAPI_JPEG_QUALITY, "keep": "icc"}
        else:
            self.options = {"compression": png_compress_level(), "keep": "icc"}

    def run(self):
        for height in HEIGHTS:
            thumbnail = self.pyvips.Image.thumbnail(
                self.path, 10_000_000, height=height, size="down"
            )
            thumbnail.write_to_file(
                f"{self.folder}/{height}{self.suffix}", **self.options
            )

    def reset(self):
        for height in HEIGHTS:
            Path(f"{self.folder}/{height}{self.suffix}").unlink(missing_ok=True)


def png_compress_level():
    """Return the zlib level the product saves PNG thumbnails with."""
    from uploads import imagegenerators

    return getattr(imagegenerators, "PNG_COMPRESS_LEVEL", 6)


def child(side, path, warm_up, runs):
    """Measure one side in this process and print the result as JSON.

    `warm_up` is a small image of the same format, made once beforehand, so
    that codecs and caches are loaded before the baseline is read.
    """
    side_class = {"product": ProductSide, "pyvips": PyvipsSide}[side]
    warming = side_class(warm_up)
    warming.run()
    warming.reset()

    worker = side_class(path)
    baseline = _memory_kib("VmHWM")
    times = []
    for _ in range(runs):
        worker.reset()
        started = time.perf_counter()
        worker.run()
        times.append((time.perf_counter() - started) * 1000)
    peak = _memory_kib("VmHWM") - baseline
    print(json.dumps({"times_ms": times, "peak_kib": peak}))


def _tiny_copy(path):
    """Return a small image of the same format, to load every codec first."""
    from PIL import Image

    path = Path(path)
    tiny = path.with_name(f"{path.stem}-tiny{path.suffix}")
    if tiny.exists():
        return tiny
    with Image.open(path) as image:
        image.draft(image.mode, (500, 500))
        image.thumbnail((640, 640))
        image.save(tiny)
    return tiny


if __name__ == "__main__":
    child(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
