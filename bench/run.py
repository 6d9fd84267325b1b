"""Run every benchmark, print the table and write it to bench/results/.

Every product figure is measured in the same run as its reference, in
alternating rounds, so a machine that slows down halfway slows both.
"""

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from . import inputs, server, thumbs
from .stats import Figure, Section, ratio, render

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

ROUNDS = 5
THUMB_CHILDREN = 3
THUMB_RUNS = 3
LOAD_SECONDS = 2
LATENCY_SECONDS = 2
CONNECTIONS = 4
UPLOADS_SEQUENTIAL = 20
UPLOADS_CONCURRENT = 2
UPLOADS_PER_CLIENT = 8
BIG_ROWS, BIG_LISTER_ROWS = 1_000_000, 10_000
SMALL_ROWS, SMALL_LISTER_ROWS = 1_000, 1_000


def main():
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed on the PATH: install Debian's wrk package.")
    started = time.monotonic()
    RESULTS.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="imageapi-bench-"))
    try:
        sections, notes = _run_all(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    minutes = (time.monotonic() - started) / 60
    preamble = _preamble(notes, minutes)
    report = render(sections, preamble)
    (RESULTS / "latest.md").write_text(report)
    print(report)
    print(f"Written to {RESULTS / 'latest.md'}")


def _environment(work, name):
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        BENCH_DATABASE_PATH=str(work / f"{name}.sqlite3"),
        MEDIA_ROOT=str(work / f"media-{name}"),
        PYTHONPATH=str(ROOT),
    )
    return env


def _say(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _run_all(work):
    notes = {}
    _say("preparing the input images")
    paths, origin = inputs.prepare(RESULTS / "inputs")
    notes["inputs"] = origin

    _say("thumbnails: product against pyvips, in fresh processes")
    thumb_results = thumbs.measure(
        paths,
        children=THUMB_CHILDREN,
        runs=THUMB_RUNS,
        env=_environment(work, "thumbs"),
    )

    _say(f"seeding {SMALL_ROWS} and {BIG_ROWS} image rows")
    small_env, big_env = _environment(work, "small"), _environment(work, "big")
    small = _seed(small_env, SMALL_ROWS, SMALL_LISTER_ROWS)
    big = _seed(big_env, BIG_ROWS, BIG_LISTER_ROWS)
    notes["seeding"] = big["seconds"]

    with (
        server.Gunicorn(small_env, work / "gunicorn-small.log") as small_server,
        server.Gunicorn(big_env, work / "gunicorn-big.log") as big_server,
    ):
        _say("listing: latency at 1 k and 1 M rows, throughput against trivial")
        listing = _listing(small_server, small, big_server, big)
        _say("links: thumbnail fetch and expiring-link creation")
        links = _links(big_server, big, paths["jpeg-12mp"])
        _say("uploads: the 12 MP JPEG through gunicorn")
        uploads = _uploads(big_server, big, paths["jpeg-12mp"])

    _say("query counts")
    queries = _queries(big_env, big)

    sections = [
        _thumbnail_section(thumb_results, paths),
        _upload_section(uploads, thumb_results),
        _listing_section(listing, queries),
        _links_section(links),
        _queries_section(queries),
    ]
    return sections, notes


def _seed(env, total, lister_rows):
    output = subprocess.run(
        [sys.executable, "-m", "bench.seed", str(total), str(lister_rows)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if output.returncode != 0:
        raise RuntimeError(f"seeding failed:\n{output.stderr}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def _auth(token):
    return f"Authorization: Token {token}"


def _listing(small_server, small, big_server, big):
    first = "/api/images/?page_size=50"
    latencies = {key: [] for key in ("first-1k", "deep-1k", "first-1m", "deep-1m")}
    for _ in range(ROUNDS):
        for label, target, seeded in (
            ("1k", small_server, small),
            ("1m", big_server, big),
        ):
            for page, path in (("first", first), ("deep", seeded["deep_page"])):
                _, p50, _ = server.wrk(
                    target.url(path),
                    seconds=LATENCY_SECONDS,
                    connections=1,
                    headers=[_auth(seeded["tokens"]["lister"])],
                )
                latencies[f"{page}-{label}"].append(p50)

    trivial, listed = [], []
    for _ in range(ROUNDS):
        trivial.append(_rate(big_server, "/bench/trivial/"))
        listed.append(_rate(big_server, first, [_auth(big["tokens"]["lister"])]))
    return {
        "latency": {key: Figure.of(values, "ms") for key, values in latencies.items()},
        "trivial": Figure.of(trivial, "req/s"),
        "list": Figure.of(listed, "req/s"),
    }


def _rate(target, path, headers=(), script=None):
    rate, _, _ = server.wrk(
        target.url(path),
        seconds=LOAD_SECONDS,
        connections=CONNECTIONS,
        headers=headers,
        script=script,
    )
    return rate


def _upload(target, token, content, name):
    body, content_type = server.multipart("image", name, content)
    status, _, answer = server.request(
        target.port,
        "POST",
        "/api/images/",
        body=body,
        headers={"Authorization": f"Token {token}", "Content-Type": content_type},
    )
    if status != 201:
        raise RuntimeError(f"upload answered {status}: {answer[:500]!r}")
    return json.loads(answer)


def _path(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _links(target, seeded, jpeg_path):
    photo = _upload(
        target, seeded["tokens"]["uploader"], jpeg_path.read_bytes(), "p.jpg"
    )
    thumbnail = _path(photo["thumbnails"]["400"])
    first_fetch = []
    started = time.perf_counter()
    status, _, _ = server.request(target.port, "GET", thumbnail)
    first_fetch.append((time.perf_counter() - started) * 1000)
    if status != 200:
        raise RuntimeError(f"thumbnail link answered {status}")

    small = _small_png()
    owned = _upload(target, seeded["tokens"]["linker"], small, "s.png")
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.body = \'{"expires_in": 3600, "height": 200}\'\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Token {seeded["tokens"]["linker"]}"\n'
    )
    trivial, fetched, created = [], [], []
    try:
        for _ in range(ROUNDS):
            trivial.append(_rate(target, "/bench/trivial/"))
            fetched.append(_rate(target, thumbnail))
            created.append(_rate(target, _path(owned["expiring_links"]), script=script))
    finally:
        script.unlink()
    return {
        "trivial": Figure.of(trivial, "req/s"),
        "fetch": Figure.of(fetched, "req/s"),
        "create": Figure.of(created, "req/s"),
        "first_fetch": Figure.of(first_fetch, "ms"),
    }


def _small_png():
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def _uploads(target, seeded, jpeg_path):
    content = jpeg_path.read_bytes()
    token = seeded["tokens"]["uploader"]
    latencies = []
    for _ in range(UPLOADS_SEQUENTIAL):
        started = time.perf_counter()
        _upload(target, token, content, "photo.jpg")
        latencies.append((time.perf_counter() - started) * 1000)

    failures = []

    def client():
        try:
            for _ in range(UPLOADS_PER_CLIENT):
                _upload(target, token, content, "photo.jpg")
        except Exception as exc:  # reported below, after the threads end
            failures.append(exc)

    threads = [threading.Thread(target=client) for _ in range(UPLOADS_CONCURRENT)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"concurrent uploads failed: {failures[0]}")
    latencies.sort()
    return {
        "p99": latencies[min(len(latencies) - 1, round(0.99 * len(latencies)) - 1)],
        "all": Figure.of(latencies, "ms"),
        "rate": UPLOADS_CONCURRENT * UPLOADS_PER_CLIENT / elapsed,
    }


def _queries(env, seeded):
    tokens = seeded["tokens"]
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.queries",
            tokens["lister"],
            tokens["uploader"],
            tokens["linker"],
            seeded["deep_page"],
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if output.returncode != 0:
        raise RuntimeError(f"query counting failed:\n{output.stderr}")
    return json.loads(output.stdout.strip().splitlines()[-1])


# --- Sections of the table -----------------------------------------------------

THUMB_TIME_TARGETS = {"jpeg-12mp": 0.8, "png-rgba-2000": 1.1, "png-rgb-12mp": 1.1}
MEMORY_TARGET = 1.2


def _thumbnail_section(results, paths):
    section = Section("1. Thumbnails: all of a tier's heights (200 and 400 px)")
    for name, sides in results.items():
        product_time, product_memory = sides["product"]
        vips_time, vips_memory = sides["pyvips"]
        limit = THUMB_TIME_TARGETS[name]
        time_ratio = ratio(product_time, vips_time)
        section.add(
            f"{name}: time",
            product_time,
            vips_time,
            time_ratio,
            f"<= {limit}x pyvips",
            time_ratio <= limit,
        )
        memory_ratio = ratio(product_memory, vips_memory)
        section.add(
            f"{name}: peak memory",
            product_memory,
            vips_memory,
            memory_ratio,
            f"<= {MEMORY_TARGET}x pyvips",
            memory_ratio <= MEMORY_TARGET,
        )
    section.notes += [
        "measured: the product's own path (imagekit spec, cache file, storage); "
        "reference: pyvips `thumbnail` per height, shrink-on-load, "
        "VIPS_CONCURRENCY=1, operation cache off, same quality and PNG level.",
        "time: median of every pass of every child; peak memory: growth of the "
        "child's RSS high-water mark over its warmed-up baseline, one per child.",
        "sources: "
        + ", ".join(f"{name} = {path.name}" for name, path in paths.items()),
    ]
    return section


def _upload_section(uploads, thumb_results):
    section = Section("2. Uploads: POST /api/images/ of the 12 MP JPEG via gunicorn")
    thumbnails = thumb_results["jpeg-12mp"]["product"][0]
    section.add(
        "p50 latency, sequential",
        uploads["all"],
        thumbnails,
        ratio(uploads["all"], thumbnails),
        "(reference: thumbnail time alone)",
    )
    section.add("p99 latency, sequential", f"{uploads['p99']:.1f} ms")
    section.add(
        f"throughput, {UPLOADS_CONCURRENT} clients",
        f"{uploads['rate']:.2f} req/s",
    )
    section.notes.append(
        f"{UPLOADS_SEQUENTIAL} sequential uploads (p99 of so few is their maximum), "
        f"then {UPLOADS_CONCURRENT} clients x {UPLOADS_PER_CLIENT} for throughput; "
        f"gunicorn {server.WORKERS} sync workers."
    )
    return section


def _listing_section(listing, queries):
    section = Section("3. Listing: GET /api/images/?page_size=50")
    rate_ratio = ratio(listing["list"], listing["trivial"])
    section.add(
        "throughput, 10 k of 1 M rows",
        listing["list"],
        listing["trivial"],
        rate_ratio,
        ">= 0.5x trivial",
        rate_ratio >= 0.5,
    )
    latency = listing["latency"]
    for page in ("first", "deep"):
        grown = ratio(latency[f"{page}-1m"], latency[f"{page}-1k"])
        section.add(
            f"{page} page p50, 1 M rows vs 1 k",
            latency[f"{page}-1m"],
            latency[f"{page}-1k"],
            grown,
            "<= 1.2x",
            grown <= 1.2,
        )
    small = queries["GET /api/images/?page_size=5"]
    large = queries["GET /api/images/?page_size=50"]
    section.add(
        "queries, page of 50 vs page of 5",
        f"{large}",
        f"{small}",
        None,
        "constant",
        large == small,
    )
    section.notes.append(
        "throughput: wrk, 1 thread, "
        f"{CONNECTIONS} connections, {LOAD_SECONDS} s per run, token auth; "
        "reference: a DRF view answering a small JSON body, same server. "
        f"p50: wrk with 1 connection, {LATENCY_SECONDS} s per run; deep page = "
        "the user's last full page, reached by cursor."
    )
    return section


def _links_section(links):
    section = Section("4. Links")
    fetch_ratio = ratio(links["fetch"], links["trivial"])
    section.add(
        "thumbnail link fetch, Django sends the file",
        links["fetch"],
        links["trivial"],
        fetch_ratio,
        ">= 0.8x trivial",
        fetch_ratio >= 0.8,
    )
    section.add(
        "thumbnail link fetch, X-Accel",
        "not measured",
        "",
        None,
        "",
        None,
    )
    create_ratio = ratio(links["create"], links["trivial"])
    section.add(
        "expiring link creation (POST)",
        links["create"],
        links["trivial"],
        create_ratio,
    )
    section.add("first fetch of a new upload's thumbnail", links["first_fetch"])
    section.notes.append(
        "The bench runs gunicorn alone; the X-Accel path through nginx is "
        "exercised by make e2e but not timed here, so it is left out."
    )
    return section


def _queries_section(queries):
    section = Section("5. SQL queries per request (warm worker)")
    for name, count in queries.items():
        section.add(name, str(count))
    return section


def _preamble(notes, minutes):
    import django
    import PIL
    import pyvips

    return [
        "## Benchmark",
        "",
        f"- run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, took {minutes:.1f} min",
        f"- machine: {_cpu()}, {os.cpu_count()} cores, {_memory()} RAM, "
        f"{platform.system()} {platform.release()}",
        f"- software: Python {platform.python_version()}, Django "
        f"{django.get_version()}, Pillow {PIL.__version__}, libvips "
        f"{pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}, SQLite "
        f"{_sqlite()}, gunicorn {server.WORKERS} sync workers",
        f"- inputs: {notes['inputs']} images; 1 M rows seeded in "
        f"{notes['seeding']:.0f} s",
        "- figures: median [min..max] n=runs",
    ]


def _cpu():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory():
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(meminfo.readline().split()[1])
        return f"{kib / 1024**2:.0f} GiB"
    except (OSError, ValueError, IndexError):
        return "unknown"


def _sqlite():
    import sqlite3

    return sqlite3.sqlite_version
