"""Use the API through nginx as its clients do; exit non-zero on a surprise.

tests/e2e/run.sh runs this with the web service's environment, once
PostgreSQL, Redis, gunicorn and nginx answer. Photos come from
E2E_SAMPLES when that folder exists, otherwise they are made here. With
E2E_SCALEOUT=1 files live in a bucket and a Celery worker makes the
thumbnails; the steps that say so check both.
"""

import http.cookiejar
import io
import json
import os
import re
import secrets
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from PIL import Image

BASE_URL = os.environ["E2E_BASE_URL"]
SHOWN_HEADERS = (
    "Content-Type",
    "Content-Length",
    "Content-Disposition",
    "Cache-Control",
    "ETag",
    "Last-Modified",
)
PASSWORDS = {name: secrets.token_urlsafe(16) for name in ("admin", "ent", "prem")}
SCALEOUT = os.environ.get("E2E_SCALEOUT") == "1"
WORKER_SECONDS = 120


class Failure(Exception):
    """An answer other than the one the API promises."""


def check(condition, message):
    if not condition:
        raise Failure(message)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """HTTPS to nginx, trusting the run's own certificate, keeping cookies."""

    def __init__(self, token=None):
        context = ssl.create_default_context(cafile=os.environ["E2E_CA_FILE"])
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context),
            urllib.request.HTTPCookieProcessor(self.cookies),
            NoRedirects(),
        )
        self.headers = {"Authorization": f"Token {token}"} if token else {}

    def send(self, method, url, body=None, headers=None):
        """Return (status, headers, body bytes) of one request."""
        url = url if url.startswith("http") else BASE_URL + url
        request = urllib.request.Request(
            url, data=body, method=method, headers={**self.headers, **(headers or {})}
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def json(self, method, url, payload=None):
        body = None if payload is None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        status, headers, content = self.send(method, url, body, headers)
        return status, headers, json.loads(content) if content else None

    def upload(self, name, content):
        boundary = secrets.token_hex(16)
        disposition = f'form-data; name="image"; filename="{name}"'
        head = (
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Accept": "application/json",
        }
        status, headers, content = self.send("POST", "/api/images/", body, headers)
        try:
            return status, headers, json.loads(content)
        except ValueError:
            return status, headers, content


def manage(*args, env=None):
    """Run manage.py with the web service's settings; return its stdout."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    check(result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stderr}")
    return result.stdout


def shell(code):
    """Run Python in `manage.py shell`; return the JSON it prints last."""
    output = manage("shell", "-c", code)
    return json.loads(output.strip().splitlines()[-1])


def photos():
    """Return (name, bytes) of the photos to upload."""
    folder = Path(os.environ.get("E2E_SAMPLES", ""))
    files = sorted(p for p in folder.glob("*") if p.suffix in (".jpg", ".png"))
    if files:
        return [(path.name, path.read_bytes()) for path in files]
    return synthesised_photos()


def synthesised_photos():
    """Make photo-like images: noisy colour, a rotated JPEG, transparency."""

    def noisy(size, mode="RGB"):
        bands = [Image.effect_noise(size, 40 + 20 * i) for i in range(3)]
        image = Image.merge("RGB", bands)
        return image.convert(mode)

    def encode(image, image_format, **options):
        buffer = io.BytesIO()
        image.save(buffer, image_format, **options)
        return buffer.getvalue()

    rotated = Image.Exif()
    rotated[0x0112] = 6
    alpha = noisy((900, 600), "RGBA")
    alpha.putalpha(Image.linear_gradient("L").resize((900, 600)))
    return [
        ("landscape.jpg", encode(noisy((2400, 1600)), "JPEG", quality=90)),
        ("rotated.jpg", encode(noisy((1600, 1200)), "JPEG", exif=rotated.tobytes())),
        ("transparent.png", encode(alpha, "PNG")),
        ("grey.jpg", encode(noisy((800, 600), "L"), "JPEG")),
        ("tiny.png", encode(noisy((150, 100)), "PNG")),
    ]


class Run:
    """The scenario, one method per step; later steps use what earlier found."""

    # Steps that hold only for files on disk sent by nginx, or only for the
    # scale-out configuration; every other step runs in both.
    FILESYSTEM_ONLY = ("bytes_came_from_nginx_not_gunicorn",)
    SCALEOUT_ONLY = (
        "a_worker_makes_every_thumbnail",
        "files_are_private_objects_in_the_bucket",
        "bytes_came_from_the_bucket_through_gunicorn",
        "deleting_an_image_removes_its_objects",
    )

    def __init__(self):
        self.uploaded = {}
        self.fetched_links = []
        self.secrets = list(PASSWORDS.values())
        self.other_uploads = 1

    def health_check_answers_through_nginx(self):
        status, _, body = Client().json("GET", "/healthz")
        check(status == 200 and body == {"status": "ok"}, f"/healthz: {status} {body}")

    def accounts_are_created_as_the_readme_says(self):
        manage(
            "createsuperuser",
            "--no-input",
            "--username=admin",
            "--email=admin@example.com",
            env={"DJANGO_SUPERUSER_PASSWORD": PASSWORDS["admin"]},
        )
        shell(
            "import json; from tiers.models import Tier, User\n"
            f"for name, tier, password in [('ent', 'Enterprise', {PASSWORDS['ent']!r}),"
            f" ('prem', 'Premium', {PASSWORDS['prem']!r})]:\n"
            "    User.objects.create_user(name, password=password,"
            " tier=Tier.objects.get(name=tier))\n"
            "print(json.dumps(True))"
        )
        self.clients = {}
        for name in ("ent", "prem"):
            status, _, body = Client().json(
                "POST",
                "/api/auth/token/",
                {"username": name, "password": PASSWORDS[name]},
            )
            check(status == 200 and "token" in body, f"token for {name}: {status}")
            self.secrets.append(body["token"])
            self.clients[name] = Client(body["token"])

    def photos_upload_and_answer_201(self):
        for name, content in photos():
            status, headers, body = self.clients["ent"].upload(name, content)
            check(status == 201, f"upload {name}: {status} {body}")
            check(headers["Location"] == body["url"], f"Location of {name}")
            self.uploaded[body["id"]] = content
        status, _, body = self.clients["prem"].upload(*photos()[0])
        check(status == 201, f"premium upload: {status} {body}")
        self.premium_image = body
        print(f"  uploaded {len(self.uploaded) + 1} photos")

    def a_worker_makes_every_thumbnail(self):
        expected = {*self.uploaded, self.premium_image["id"]}
        made = wait_for_events(
            os.environ["E2E_WORKER_LOG"], "thumbnails_made", expected
        )
        web_pids = {line["pid"] for line in json_lines(os.environ["E2E_WEB_LOG"])}
        worker_pids = {line["pid"] for line in made}
        check(not worker_pids & web_pids, "thumbnails made by a web process")
        print(
            f"  {len(worker_pids)} worker processes made the thumbnails of "
            f"{len(expected)} images"
        )

    def bad_uploads_are_refused_with_reasons(self):
        gif = io.BytesIO()
        Image.new("RGB", (10, 10)).save(gif, "GIF")
        status, _, body = self.clients["ent"].upload("fake.png", gif.getvalue())
        check(status == 400 and "image" in body, f"GIF: {status} {body}")

        limit = int(os.environ["IMAGEAPI_MAX_UPLOAD_BYTES"])
        status, _, body = self.clients["ent"].upload("big.jpg", b"\xff" * (limit + 1))
        check(status == 400 and "image" in body, f"just over the limit: {status}")

        status, _, _ = self.clients["ent"].upload(
            "huge.jpg", b"\xff" * (limit * 11 // 10)
        )
        check(status == 413, f"far over the limit should stop at nginx: {status}")

    def list_shows_every_upload_newest_first(self):
        status, _, body = self.clients["ent"].json("GET", "/api/images/?page_size=100")
        check(status == 200, f"list: {status}")
        self.listing = body["results"]
        ids = [image["id"] for image in self.listing]
        check(ids == list(reversed(self.uploaded)), f"listed {ids}")

    def every_link_serves_its_rendition_through_nginx(self):
        client = Client()
        for image in self.listing:
            for height, url in image["thumbnails"].items():
                content = self.fetch(client, url, image["format"])
                with Image.open(io.BytesIO(content)) as thumbnail:
                    expected = min(int(height), image["height"])
                    check(thumbnail.height == expected, f"{height}px: {thumbnail.size}")
            content = self.fetch(client, image["original"], image["format"])
            check(content == self.uploaded[image["id"]], "original bytes differ")
        print(f"  fetched {len(self.fetched_links)} links; the last one answered:")
        for name in SHOWN_HEADERS:
            print(f"    {name}: {self.last_headers[name]}")

    def fetch(self, client, url, image_format, max_age=None):
        status, headers, content = client.send("GET", url)
        self.last_headers = headers
        check(status == 200, f"GET {url[-20:]}: {status}")
        check(headers["Content-Type"] == f"image/{image_format}", "Content-Type")
        check(int(headers["Content-Length"]) == len(content), "Content-Length")
        check(headers["ETag"] or headers["Last-Modified"], "no validator")
        seconds = int(re.search(r"max-age=(\d+)", headers["Cache-Control"])[1])
        check(max_age is None or seconds <= max_age, f"max-age {seconds}")
        self.fetched_links.append(url)
        return content

    def _file_fetches(self):
        """Return (nginx's line, the app's line) of every link fetched."""
        app = {
            line["request_id"]: line
            for line in json_lines(os.environ["E2E_WEB_LOG"])
            if line.get("event") == "request" and line["path"].startswith("/files/")
        }
        nginx = [
            line
            for line in json_lines(os.environ["E2E_NGINX_LOG"])
            if line["path"] == "/files/[link]" and line["status"] == "200"
        ]
        check(len(nginx) >= len(self.fetched_links), "nginx logged too few fetches")
        pairs = []
        for line in nginx:
            answer = app.get(line["request_id"])
            check(answer is not None, f"no app line for {line['request_id']}")
            pairs.append((line, answer))
        return pairs

    def bytes_came_from_nginx_not_gunicorn(self):
        for line, answer in self._file_fetches():
            check(answer["bytes"] == 0 and int(line["bytes"]) > 0, f"{line} {answer}")

        direct = urllib.request.Request(
            self.listing[0]["original"].replace(
                BASE_URL, f"http://127.0.0.1:{os.environ['E2E_WEB_PORT']}"
            ),
            headers={"Host": "localhost", "X-Forwarded-Proto": "https"},
        )
        with urllib.request.urlopen(direct, timeout=30) as response:
            accel = response.headers["X-Accel-Redirect"]
            check(accel.startswith("/protected-media/images/"), f"direct: {accel}")
            check(response.read() == b"", "gunicorn sent a body")
        status, _, _ = Client().send("GET", accel)
        check(status == 404, f"internal location reachable from outside: {status}")

    def files_are_private_objects_in_the_bucket(self):
        client, bucket = bucket_client()
        folders = image_folders([image["id"] for image in self.listing])
        for image in self.listing:
            folder = folders[image["id"]]
            names = sorted(
                key.rsplit("/", 1)[1] for key in keys(client, bucket, folder)
            )
            extension = "jpg" if image["format"] == "jpeg" else "png"
            wanted = sorted(
                [f"original.{extension}"]
                + [f"{height}.{extension}" for height in image["thumbnails"]]
            )
            check(names == wanted, f"objects of {image['id']}: {names}")
        key = keys(client, bucket, folders[image["id"]])[0]
        endpoint = os.environ["AWS_S3_ENDPOINT_URL"]
        try:
            urllib.request.urlopen(f"{endpoint}/{bucket}/{key}", timeout=30)
            raise Failure("an object is readable without a signature")
        except urllib.error.HTTPError as error:
            check(error.code == 403, f"unsigned GET: {error.code}")
        media = Path(os.environ["MEDIA_ROOT"])
        check(not any(media.rglob("*.*")), "files were written to MEDIA_ROOT")

    def bytes_came_from_the_bucket_through_gunicorn(self):
        for line, answer in self._file_fetches():
            # Streamed from the bucket: gunicorn sent every byte nginx did.
            check(int(line["bytes"]) == answer["bytes"] > 0, f"{line} {answer}")

    def deleting_an_image_removes_its_objects(self):
        client, bucket = bucket_client()
        status, _, body = self.clients["ent"].upload("doomed.png", photos()[-1][1])
        check(status == 201, f"upload to delete: {status}")
        self.other_uploads += 1
        wait_for_events(os.environ["E2E_WORKER_LOG"], "thumbnails_made", {body["id"]})
        folder = image_folders([body["id"]])[body["id"]]
        check(len(keys(client, bucket, folder)) == 3, "original and thumbnails")

        status, _, _ = self.clients["ent"].send("DELETE", body["url"])
        check(status == 204, f"delete: {status}")
        deadline = time.monotonic() + 30
        while keys(client, bucket, folder) and time.monotonic() < deadline:
            time.sleep(0.2)
        check(keys(client, bucket, folder) == [], "objects outlived their image")

    def expiring_links_work_and_expire(self):
        image = self.listing[0]
        for payload in ({"expires_in": 300}, {"expires_in": 300, "height": 200}):
            status, _, body = self.clients["ent"].json(
                "POST", image["expiring_links"], payload
            )
            check(status == 201, f"expiring link {payload}: {status} {body}")
            content = self.fetch(Client(), body["url"], image["format"], max_age=300)
            if "height" not in payload:
                check(content == self.uploaded[image["id"]], "expiring original")
        expired = shell(
            "import json; from datetime import UTC, datetime, timedelta\n"
            "from uploads.links import Link\n"
            f"link = Link({image['id']!r}.replace('-', ''), None,"
            " datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5))\n"
            "print(json.dumps(link.path()))"
        )
        status, _, _ = Client().send("GET", expired)
        check(status == 410, f"expired link: {status}")
        status, _, _ = Client().send("GET", body["url"][:-3] + "xyz")
        check(status == 404, f"tampered link: {status}")

    def tier_edit_in_shell_reaches_every_worker(self):
        detail = self.premium_image["url"]
        old_original = self.premium_image["original"]
        started = time.time()
        for grant in (False, True):
            shell(
                "import json; from tiers.models import Tier\n"
                "tier = Tier.objects.get(name='Premium')\n"
                f"tier.original_link = {grant}; tier.save()\n"
                "print(json.dumps(True))"
            )
            # Four at a time, so that every gunicorn worker answers some:
            # one after another, a single idle worker may take them all.
            with ThreadPoolExecutor(max_workers=4) as pool:
                answers = list(pool.map(self.premium_detail, [detail] * 12))
            for status, _, body in answers:
                check(status == 200, f"detail: {status}")
                check(("original" in body) == grant, f"stale tier: {body}")
            status, _, _ = Client().send("GET", old_original)
            check(status == (200 if grant else 404), f"old original link: {status}")
        workers = {
            line["pid"]
            for line in json_lines(os.environ["E2E_WEB_LOG"])
            if line.get("path") == urllib.parse.urlparse(detail).path
            and iso_seconds(line["time"]) >= started - 1
        }
        check(len(workers) >= 2, f"only worker(s) {workers} answered")
        print(f"  {len(workers)} gunicorn workers saw the edit at once")

    def premium_detail(self, url):
        """GET `url` as the premium user, on a connection of its own."""
        client = Client()
        client.headers = self.clients["prem"].headers
        return client.json("GET", url)

    def admin_login_works_over_https(self):
        client = Client()
        status, _, page = client.send("GET", "/admin/login/")
        check(status == 200, f"login page: {status}")
        cookie = next(c for c in client.cookies if c.name == "csrftoken")
        check(cookie.secure, "csrftoken cookie is not Secure")
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": cookie.value,
                "username": "admin",
                "password": PASSWORDS["admin"],
                "next": "/admin/",
            }
        ).encode()
        status, headers, _ = client.send(
            "POST",
            "/admin/login/",
            form,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": BASE_URL + "/admin/login/",
                "Origin": BASE_URL,
            },
        )
        check(status == 302 and headers["Location"] == "/admin/", f"login: {status}")
        status, _, _ = client.send("GET", "/admin/tiers/tier/")
        check(status == 200, f"admin page: {status}")

    def static_files_come_from_nginx(self):
        status, headers, _ = Client().send("GET", "/static/admin/css/base.css")
        check(status == 200 and headers["Content-Type"] == "text/css", f"{status}")

    def logs_are_json_lines_with_events_and_no_secrets(self):
        for line in lines_after_gunicorn_started(os.environ["E2E_WEB_LOG"]):
            check(line.startswith("{") and json.loads(line), f"not JSON: {line}")
        lines = json_lines(os.environ["E2E_WEB_LOG"])
        events = [line.get("event") for line in lines]
        stored = len(self.uploaded) + self.other_uploads
        check(events.count("image_stored") == stored, "image_stored")
        check(events.count("link_issued") == 2, "link_issued")
        reasons = {
            line.get("reason")
            for line in lines
            if line.get("event") == "upload_rejected"
        }
        check(reasons == {"unsupported_format", "file_too_large"}, f"reasons {reasons}")
        tokens = [
            urllib.parse.urlparse(url).path[len("/files/") :]
            for url in self.fetched_links
        ]
        logs = [os.environ["E2E_WEB_LOG"], os.environ["E2E_NGINX_LOG"]]
        if SCALEOUT:
            logs.append(os.environ["E2E_WORKER_LOG"])
        for path in logs:
            text = Path(path).read_text()
            known = [*self.secrets, *tokens, os.environ["SECRET_KEY"]]
            if SCALEOUT:
                known.append(os.environ["AWS_SECRET_ACCESS_KEY"])
            for secret in known:
                check(secret not in text, f"a secret or link token is in {path}")


def wait_for_events(path, event, image_ids, seconds=WORKER_SECONDS):
    """Wait until a log has `event` for every one of the images; return those lines."""
    deadline = time.monotonic() + seconds
    while True:
        lines = [
            line
            for line in json_lines(path)
            if line.get("event") == event and line.get("image_id") in image_ids
        ]
        if {line["image_id"] for line in lines} == set(image_ids):
            return lines
        if time.monotonic() > deadline:
            raise Failure(f"{event} logged for {len(lines)} of {len(image_ids)} images")
        time.sleep(0.5)


def bucket_client():
    """Return (boto3 client, bucket name) as the web service's settings give them."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=os.environ["AWS_S3_ENDPOINT_URL"],
        region_name=os.environ["AWS_S3_REGION_NAME"],
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    )
    return client, os.environ["IMAGEAPI_S3_BUCKET"]


def image_folders(image_ids):
    """Return the bucket folder of each image, as the database records it."""
    return shell(
        "import json; from uploads.models import Image\n"
        f"rows = Image.objects.filter(pk__in={image_ids!r})\n"
        "print(json.dumps({str(row.pk): row.folder + '/' for row in rows}))"
    )


def keys(client, bucket, prefix):
    answer = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(entry["Key"] for entry in answer.get("Contents", ()))


def json_lines(path):
    """Return the JSON objects of a log; migrate's plain report is skipped."""
    lines = Path(path).read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def lines_after_gunicorn_started(path):
    """Return the log's lines from gunicorn's first message on."""
    lines = Path(path).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if '"gunicorn.error"' in line)
    return lines[start:]


def iso_seconds(text):
    return datetime.fromisoformat(text).timestamp()


def main():
    run = Run()
    skipped = {"fetch", "premium_detail", "FILESYSTEM_ONLY", "SCALEOUT_ONLY"}
    skipped.update(Run.FILESYSTEM_ONLY if SCALEOUT else Run.SCALEOUT_ONLY)
    steps = [
        getattr(run, name)
        for name in vars(Run)
        if not name.startswith("_") and name not in skipped
    ]
    passed = 0
    for step in steps:
        started = time.monotonic()
        try:
            step()
        except Failure as failure:
            print(f"FAILED {step.__name__}: {failure}")
            print(f"e2e: {passed} passed, 1 failed")
            return 1
        passed += 1
        print(f"ok {step.__name__} ({time.monotonic() - started:.1f}s)")
    print(f"e2e: {passed} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
