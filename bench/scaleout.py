"""Upload, list and link figures of three configurations, side by side.

- embedded: SQLite, files on disk, local-memory cache, thumbnails made by
  the upload request (what `make run` and `make bench` run);
- production: PostgreSQL, Redis cache, files on disk, thumbnails made by
  the upload request (docker-compose.yml without its profiles);
- scale-out: PostgreSQL, Redis cache, files in an S3 bucket (moto's server),
  thumbnails made by one Celery worker process through a Redis broker.

Each runs gunicorn with 2 sync workers on 127.0.0.1; all share the machine's
cores with the servers behind them. Run by bench/scaleout.sh, which starts
those servers; writes bench/results/scaleout.md and prints it.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from . import inputs, server
from .stats import Figure

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

SEQUENTIAL_PER_ROUND = 3
CLIENTS, PER_CLIENT = 2, 8
ROUNDS, LOAD_SECONDS, CONNECTIONS = 5, 2, 4
CONCURRENT_ROUNDS = 2
LIST_ROWS = 10_000
DRAIN_SECONDS = 300
CONFIGURATIONS = ("embedded", "production", "scale-out")
# The scale-out configuration once more, publishing to a queue no worker
# reads: what the upload request costs when workers run on other machines.
NO_WORKER = "scale-out, no worker running"


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "seed":
        return _seed(int(sys.argv[2]))
    work = Path(os.environ["BENCH_WORK"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    paths, origin = inputs.prepare(RESULTS / "inputs")
    jpeg = paths["jpeg-12mp"].read_bytes()
    envs = {name: _environment(work, name) for name in CONFIGURATIONS}
    envs[NO_WORKER] = {
        **envs["scale-out"],
        "CELERY_BROKER_URL": os.environ["BENCH_BROKER_URL"].replace("/0", "/1"),
    }
    seeded = {}
    for name in CONFIGURATIONS:
        _say(f"{name}: database, bucket and {LIST_ROWS:,} rows to list")
        seeded[name] = _prepare(name, envs[name])
    seeded[NO_WORKER] = seeded["scale-out"]

    with ExitStack() as stack:
        servers = {
            name: stack.enter_context(
                server.Gunicorn(
                    env, work / f"gunicorn-{name.split(',')[0]}-{len(name)}.log"
                )
            )
            for name, env in envs.items()
        }
        redirecting = {**envs["scale-out"], "IMAGEAPI_S3_DELIVERY": "redirect"}
        servers["redirect"] = stack.enter_context(
            server.Gunicorn(redirecting, work / "gunicorn-redirect.log")
        )
        stack.enter_context(_Worker(envs["scale-out"], work / "worker.log"))
        results = _measure_all(servers, seeded, jpeg, envs["scale-out"])

    report = _report(results, origin, (time.monotonic() - started) / 60)
    (RESULTS / "scaleout.md").write_text(report)
    print(report)
    return 0


def _environment(work, name):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "CACHE_URL", "IMAGEAPI_S3", "CELERY"))
    }
    env.update(PYTHONPATH=str(ROOT), MEDIA_ROOT=str(work / f"media-{name}"))
    if name == "embedded":
        env.update(
            DJANGO_SETTINGS_MODULE="bench.settings",
            BENCH_DATABASE_PATH=str(work / "embedded.sqlite3"),
        )
        return env
    database = os.environ["BENCH_DATABASE_URL"].rsplit("/", 1)[0]
    cache_number = {"production": 1, "scale-out": 2}[name]
    env.update(
        DJANGO_SETTINGS_MODULE="bench.scaleout_settings",
        DATABASE_URL=f"{database}/{name.replace('-', '_')}",
        CACHE_URL=os.environ["BENCH_CACHE_URL"].replace("/0", f"/{cache_number}"),
    )
    if name == "scale-out":
        env.update(
            IMAGEAPI_S3_BUCKET="bench-scaleout",
            AWS_S3_ENDPOINT_URL=os.environ["BENCH_S3_ENDPOINT"],
            AWS_S3_REGION_NAME="us-east-1",
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench-secret",
            CELERY_BROKER_URL=os.environ["BENCH_BROKER_URL"],
        )
    return env


def _say(message):
    print(f"[bench-scaleout] {message}", file=sys.stderr, flush=True)


def _run(env, *args):
    result = subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{args} failed:\n{result.stderr}")
    return result.stdout


def _prepare(name, env):
    """Create the configuration's database and bucket; return its tokens."""
    if name != "embedded":
        _create_database(env["DATABASE_URL"])
    Path(env["MEDIA_ROOT"]).mkdir(exist_ok=True)
    _run(env, "manage.py", "migrate", "--no-input", "-v", "0")
    _run(env, "manage.py", "ensure_bucket")
    return json.loads(_run(env, "-m", "bench.scaleout", "seed", str(LIST_ROWS)))


def _create_database(url):
    """Create the configuration's database afresh beside the server's first one."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/imageapi", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def _measure_all(servers, seeded, jpeg, scaleout_env):
    """Measure every configuration in alternating rounds; return their figures."""
    names = [*CONFIGURATIONS, NO_WORKER]
    results = {name: {} for name in names}

    _say("sequential uploads, configurations taking turns")
    latencies = {name: [] for name in names}
    backlog = []
    for _ in range(ROUNDS):
        for name in names:
            for _ in range(SEQUENTIAL_PER_ROUND):
                started = time.perf_counter()
                photo = _upload(servers[name], seeded[name]["uploader"], jpeg)
                latencies[name].append((time.perf_counter() - started) * 1000)
                if name == NO_WORKER:
                    backlog.append(photo["id"])
    for name in names:
        results[name]["upload_p50"] = Figure.of(latencies[name], "ms")
        results[name]["upload_max"] = max(latencies[name])

    _say("one worker process draining the queue no worker read, alone")
    results["scale-out"]["worker_rate"] = _drain_alone(backlog, scaleout_env)

    _say("two clients uploading at once; the worker's queue drained")
    rates = {name: [] for name in CONFIGURATIONS}
    drained = []
    for _ in range(CONCURRENT_ROUNDS):
        for name in CONFIGURATIONS:
            started = time.perf_counter()
            rate, ids = _concurrent_uploads(
                servers[name], seeded[name]["uploader"], jpeg
            )
            rates[name].append(rate)
            if name == "scale-out":
                _wait_for_thumbnails(scaleout_env, ids)
                drained.append(len(ids) / (time.perf_counter() - started))
    for name in CONFIGURATIONS:
        results[name]["upload_rate"] = Figure.of(rates[name], "req/s")
        results[name]["drained"] = Figure.of(
            drained if name == "scale-out" else rates[name], "/s"
        )

    _say("list pages and thumbnail links, configurations taking turns")
    thumbnails = {}
    for name in CONFIGURATIONS:
        photo = _upload(servers[name], seeded[name]["uploader"], jpeg)
        if name == "scale-out":
            _wait_for_thumbnails(scaleout_env, [photo["id"]])
        thumbnails[name] = urlsplit(photo["thumbnails"]["400"]).path
    lists = {name: [] for name in CONFIGURATIONS}
    fetches = {name: [] for name in [*CONFIGURATIONS, "redirect"]}
    for _ in range(ROUNDS):
        for name in CONFIGURATIONS:
            lists[name].append(
                _rate(
                    servers[name],
                    "/api/images/?page_size=50",
                    [f"Authorization: Token {seeded[name]['lister']}"],
                )
            )
        for name in fetches:
            target = thumbnails["scale-out" if name == "redirect" else name]
            fetches[name].append(_rate(servers[name], target))
    for name in CONFIGURATIONS:
        results[name]["list"] = Figure.of(lists[name], "req/s")
        results[name]["fetch"] = Figure.of(fetches[name], "req/s")
    results["scale-out"]["redirect"] = Figure.of(fetches["redirect"], "req/s")
    results["scale-out"]["upload_alone"] = results.pop(NO_WORKER)["upload_p50"]
    return results


def _drain_alone(image_ids, env):
    """Return the images per second one worker process finishes, nothing else busy.

    Timed between the first and the last "Thumbnails made" of its log, so
    that the worker's start is not counted.
    """
    backlog_env = {
        **env,
        "CELERY_BROKER_URL": os.environ["BENCH_BROKER_URL"].replace("/0", "/1"),
        "LOG_LEVEL": "INFO",
    }
    log_path = Path(os.environ["BENCH_WORK"]) / "worker-alone.log"
    with _Worker(backlog_env, log_path):
        _wait_for_thumbnails(env, image_ids)
    made = [
        datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
        for line in log_path.read_text().splitlines()
        if "Thumbnails made" in line
    ]
    if len(made) != len(image_ids):
        raise RuntimeError(f"the worker made {len(made)} of {len(image_ids)}")
    return f"{(len(made) - 1) / (made[-1] - made[0]).total_seconds():.2f} /s"


def _rate(target, path, headers=()):
    rate, _, _ = server.wrk(
        target.url(path), seconds=LOAD_SECONDS, connections=CONNECTIONS, headers=headers
    )
    return rate


def _upload(web, token, content):
    body, content_type = server.multipart("image", "photo.jpg", content)
    status, _, answer = server.request(
        web.port,
        "POST",
        "/api/images/",
        body=body,
        headers={"Authorization": f"Token {token}", "Content-Type": content_type},
    )
    if status != 201:
        raise RuntimeError(f"upload answered {status}: {answer[:300]!r}")
    return json.loads(answer)


def _concurrent_uploads(web, token, content):
    ids, failures = [], []

    def client():
        try:
            for _ in range(PER_CLIENT):
                ids.append(_upload(web, token, content)["id"])
        except Exception as exc:  # reported once the threads end
            failures.append(exc)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"concurrent uploads failed: {failures[0]}")
    return CLIENTS * PER_CLIENT / (time.perf_counter() - started), ids


def _wait_for_thumbnails(env, image_ids):
    """Wait until the worker has made both thumbnails of every image."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=env["AWS_S3_ENDPOINT_URL"],
        region_name=env["AWS_S3_REGION_NAME"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    folders = _folders(env, image_ids)
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=env["IMAGEAPI_S3_BUCKET"], Prefix="images/"
        )
        made = {
            entry["Key"].rsplit("/", 1)[0]
            for page in pages
            for entry in page.get("Contents", ())
            if entry["Key"].endswith("/400.jpg")
        }
        if folders <= made:
            return
        time.sleep(0.2)
    raise RuntimeError("the worker did not make every thumbnail in time")


def _folders(env, image_ids):
    """Return the storage folders of the images, asked of the database."""
    rows = f"Image.objects.filter(pk__in={image_ids!r})"
    code = (
        "import json; from uploads.models import Image; "
        f"print(json.dumps([image.folder for image in {rows}]))"
    )
    folders = set(
        json.loads(_run(env, "manage.py", "shell", "-c", code).splitlines()[-1])
    )
    if len(folders) != len(image_ids):
        raise RuntimeError("some uploaded images have no row")
    return folders


class _Worker:
    """One Celery worker with one pool process, for the life of a `with`."""

    def __init__(self, env, log_path):
        self.env, self.log_path = env, log_path

    def __enter__(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "--app=imageapi",
                    "worker",
                    "--concurrency=1",
                    "--loglevel=WARNING",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def __exit__(self, *exc):
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _seed(rows):
    """Make the uploader and a lister with `rows` images (rows only); print tokens."""
    import django

    django.setup()
    from rest_framework.authtoken.models import Token

    from tiers.models import Tier, User
    from uploads.models import Image

    premium = Tier.objects.get(name="Premium")
    uploader = User.objects.create(username="uploader", tier=premium)
    lister = User.objects.create(username="lister", tier=premium)
    Image.objects.bulk_create(
        (
            Image(
                owner=lister,
                file=f"images/00/{number:032x}/original.jpg",
                name=f"photo-{number}.jpg",
                format="jpeg",
                width=4000,
                height=3000,
                size=4_000_000,
            )
            for number in range(rows)
        ),
        batch_size=2000,
    )
    print(
        json.dumps(
            {
                "uploader": Token.objects.create(user=uploader).key,
                "lister": Token.objects.create(user=lister).key,
            }
        )
    )
    return 0


def _report(results, origin, minutes):
    names = list(results)
    lines = [
        "## Scale-out figures",
        "",
        f"- run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, took {minutes:.1f} min",
        f"- machine: {os.cpu_count()} cores, shared by every server of the run;"
        " gunicorn 2 sync workers per configuration; scale-out: 1 Celery worker"
        " process, moto's S3 server",
        f"- upload: the 12 MP JPEG ({origin}) of `make bench`; list: a page of 50"
        f" of {LIST_ROWS:,} rows; link: its 400 px thumbnail",
        "- configurations take turns in every round; figures: median [min..max]",
        "",
        "| figure | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    rows = [
        ("upload p50, sequential", "upload_p50"),
        ("upload p50, sequential, no worker running", "upload_alone"),
        ("upload max, sequential", "upload_max"),
        (f"uploads answered, {CLIENTS} clients", "upload_rate"),
        ("uploads with both thumbnails made", "drained"),
        ("one worker process alone, images made", "worker_rate"),
        ("list page of 50, 4 connections", "list"),
        ("thumbnail link fetch, 4 connections", "fetch"),
        ("thumbnail link answered by a redirect", "redirect"),
    ]
    for label, key in rows:
        cells = [_cell(results[name].get(key)) for name in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.0f} ms"
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
