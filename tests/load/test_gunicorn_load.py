"""200 uploads from 10 users at once against gunicorn on loopback.

Run with `make test-load`. Each user's list must be exactly their images,
rows must equal files, twenty first requests for one thumbnail across the
worker processes must make one file, and the workers' open files and
memory must come back to where they were after a warm-up.
"""

import http.client
import io
import json
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from PIL import Image

from .server import Server, open_files, resident_kib

pytestmark = pytest.mark.load

USERS = 10
UPLOADS_PER_USER = 20
WARM_UP_PER_USER = 2
# A worker's resident memory may settle a little higher than after the
# warm-up (allocator arenas, imagekit's registry); more than this is a leak.
MEMORY_SLACK_KIB = 24 * 1024
RUN_SECONDS = 300


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = Server(
        tmp_path_factory.mktemp("load"),
        extra_env={"IMAGEAPI_UPLOAD_RATE": "", "IMAGEAPI_LINK_RATE": ""},
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _request(server, method, path, token=None, body=None, content_type=None):
    """Send one request on a new connection; return (status, headers, bytes)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    headers = {"Connection": "close"}
    if token:
        headers["Authorization"] = f"Token {token}"
    if content_type:
        headers["Content-Type"] = content_type
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _jpeg(seed):
    image = Image.frombytes("RGB", (320, 240), os.urandom(320 * 240 * 3))
    image.putpixel((0, 0), (seed % 256, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _upload(server, token, name):
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
            f'filename="{name}"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        + _jpeg(hash(name))
        + f"\r\n--{boundary}--\r\n".encode()
    )
    status, _, content = _request(
        server,
        "POST",
        "/api/images/",
        token,
        body,
        f"multipart/form-data; boundary={boundary}",
    )
    assert status == 201, content[:500]
    return json.loads(content)


def _listing(server, token):
    """Return every image of the user, following the cursor pages."""
    images, path = [], "/api/images/?page_size=7"
    while path:
        status, _, content = _request(server, "GET", path, token)
        assert status == 200, content[:500]
        page = json.loads(content)
        images.extend(page["results"])
        path = _path(page["next"]) if page["next"] else None
    return images


def _path(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _gauges(server):
    return {pid: (open_files(pid), resident_kib(pid)) for pid in server.worker_pids()}


def test_two_hundred_uploads_from_ten_users_at_once(server):
    started = time.monotonic()
    tokens = server.create_users(USERS)
    uploaded = {token: [] for token in tokens}

    # Warm-up: every code path once in every worker, then the baseline.
    for token in tokens:
        for n in range(WARM_UP_PER_USER):
            body = _upload(server, token, f"warm-{n}.jpg")
            uploaded[token].append(body["id"])
            for link in (body["original"], *body["thumbnails"].values()):
                assert _request(server, "GET", _path(link))[0] == 200
        _listing(server, token)
    time.sleep(1)
    before = _gauges(server)

    def user_session(token):
        ids = []
        for n in range(UPLOADS_PER_USER):
            ids.append(_upload(server, token, f"photo-{n}.jpg")["id"])
        return token, ids

    load_started = time.monotonic()
    with ThreadPoolExecutor(max_workers=USERS) as pool:
        for token, ids in pool.map(user_session, tokens):
            uploaded[token].extend(ids)
    load_seconds = time.monotonic() - load_started

    for token in tokens:
        listed = _listing(server, token)
        assert sorted(image["id"] for image in listed) == sorted(uploaded[token])
        stamps = [image["created_at"] for image in listed]
        assert stamps == sorted(stamps, reverse=True)

    code, out = server.manage("check_media", "--grace", "0")
    assert code == 0, out
    assert "Rows without a file: 0\n" in out and "Files without a row: 0\n" in out
    originals = [
        name
        for folder, _, names in os.walk(server.media)
        for name in names
        if name.startswith("original.")
    ]
    assert len(originals) == USERS * (WARM_UP_PER_USER + UPLOADS_PER_USER)

    time.sleep(1)
    after = _gauges(server)
    _report(before, after, load_seconds, time.monotonic() - started)
    assert set(after) == set(before), "a worker died or was replaced"
    for pid, (files, memory) in after.items():
        assert files <= before[pid][0], (pid, before[pid], after[pid])
        assert memory <= before[pid][1] + MEMORY_SLACK_KIB, (pid, before, after)
    assert time.monotonic() - started < RUN_SECONDS


def test_twenty_first_requests_across_workers_make_one_thumbnail(server):
    [token] = server.create_users(1, prefix="burst")
    folders_before = _folders(server)
    body = _upload(server, token, "burst.jpg")
    [folder] = _folders(server) - folders_before
    path = _path(body["thumbnails"]["400"])
    # The upload made its thumbnails; take one away so that the next
    # requests, in every worker, find it missing at once.
    os.remove(os.path.join(folder, "400.jpg"))
    start = threading.Barrier(20)

    def first_request(_):
        start.wait()
        return _request(server, "GET", path)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(first_request, range(20)))

    assert [status for status, _, _ in answers] == [200] * 20
    assert len({content for _, _, content in answers}) == 1
    # One file made again, no second copy under another name.
    assert sorted(os.listdir(folder)) == ["200.jpg", "400.jpg", "original.jpg"]


def _folders(server):
    """Return the image folders in the server's media."""
    return {
        folder
        for folder, _, names in os.walk(server.media)
        if any(name.startswith("original.") for name in names)
    }


def _report(before, after, load_seconds, total_seconds):
    lines = [
        f"{USERS * UPLOADS_PER_USER} uploads from {USERS} users in "
        f"{load_seconds:.1f} s ({USERS * UPLOADS_PER_USER / load_seconds:.1f}/s); "
        f"whole test {total_seconds:.1f} s",
    ]
    for pid in sorted(before):
        files_before, memory_before = before[pid]
        files_after, memory_after = after.get(pid, (None, None))
        lines.append(
            f"worker {pid}: open files {files_before} -> {files_after}, "
            f"resident memory {memory_before / 1024:.1f} -> "
            f"{(memory_after or 0) / 1024:.1f} MiB"
        )
    print("\n" + "\n".join(lines))
