"""Count the SQL queries of each endpoint, in process, on the seeded database.

Run as `python -m bench.queries LISTER_TOKEN UPLOADER_TOKEN LINKER_TOKEN DEEP`
with the bench settings; prints {endpoint: queries} as JSON. Each endpoint
is called once before it is counted, so the figures are those of a warm
worker (tier grants cached), which is what serves nearly every request.
"""

import io
import json
import os
import sys
from urllib.parse import urlsplit


def main(lister, uploader, linker, deep_page):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from PIL import Image

    def client(token=None):
        headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
        return Client(HTTP_HOST="127.0.0.1", **headers)

    def png():
        buffer = io.BytesIO()
        Image.new("RGB", (640, 480), (90, 140, 200)).save(buffer, "PNG")
        buffer.seek(0)
        buffer.name = "small.png"
        return buffer

    counts = {}

    def count(name, call, expected):
        call()
        with CaptureQueriesContext(connection) as queries:
            response = call()
        if response.status_code != expected:
            raise RuntimeError(f"{name}: {response.status_code} {response.content!r}")
        counts[name] = len(queries)
        return response

    def path(url):
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    upload = count(
        "POST /api/images/ (640x480 PNG)",
        lambda: client(uploader).post("/api/images/", {"image": png()}),
        201,
    ).json()
    count(
        "GET /api/images/?page_size=5",
        lambda: client(lister).get("/api/images/?page_size=5"),
        200,
    )
    count(
        "GET /api/images/?page_size=50",
        lambda: client(lister).get("/api/images/?page_size=50"),
        200,
    )
    count("GET deep page of 50 (cursor)", lambda: client(lister).get(deep_page), 200)
    count(
        "GET /api/images/{id}/",
        lambda: client(uploader).get(f"/api/images/{upload['id']}/"),
        200,
    )
    count(
        "GET thumbnail link",
        lambda: client().get(path(upload["thumbnails"]["400"])),
        200,
    )
    count("GET original link", lambda: client().get(path(upload["original"])), 200)

    owned = client(linker).post("/api/images/", {"image": png()}).json()
    created = count(
        "POST expiring link",
        lambda: client(linker).post(
            path(owned["expiring_links"]),
            {"expires_in": 3600, "height": 200},
            content_type="application/json",
        ),
        201,
    ).json()
    count("GET expiring link", lambda: client().get(path(created["url"])), 200)

    doomed = [
        client(uploader).post("/api/images/", {"image": png()}).json()["id"]
        for _ in range(2)
    ]
    count(
        "DELETE /api/images/{id}/",
        lambda: client(uploader).delete(f"/api/images/{doomed.pop()}/"),
        204,
    )
    count(
        "GET trivial DRF view (reference)", lambda: client().get("/bench/trivial/"), 200
    )
    print(json.dumps(counts))


if __name__ == "__main__":
    main(*sys.argv[1:5])
