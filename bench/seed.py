"""Fill a benchmark database: users, tokens and many image rows, no files.

Run as `python -m bench.seed TOTAL_ROWS LISTER_ROWS` with the bench settings
and BENCH_DATABASE_PATH set; prints what the runner needs as JSON.
Rows go in with executemany in large transactions: the ORM's per-object
work would take longer than the whole benchmark may.
"""

import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

BATCH = 50_000
START = datetime(2020, 1, 1, tzinfo=UTC)


def main(total_rows, lister_rows):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    users = _make_users(total_rows // lister_rows)
    _insert_images([user.pk for user in users["owners"]], total_rows)
    _analyze()
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "tokens": {
                    name: users[name] for name in ("lister", "uploader", "linker")
                },
                "deep_page": _deep_page_path(users["owners"][0], lister_rows),
                "seconds": seconds,
            }
        )
    )


def _make_users(owner_count):
    from rest_framework.authtoken.models import Token

    from tiers.models import Tier, User

    premium = Tier.objects.get(name="Premium")
    enterprise = Tier.objects.get(name="Enterprise")
    owners = User.objects.bulk_create(
        User(username=f"owner-{number}", tier=premium) for number in range(owner_count)
    )
    owners = list(User.objects.filter(username__startswith="owner-").order_by("pk"))
    uploader = User.objects.create(username="uploader", tier=premium)
    linker = User.objects.create(username="linker", tier=enterprise)
    return {
        "owners": owners,
        "lister": Token.objects.create(user=owners[0]).key,
        "uploader": Token.objects.create(user=uploader).key,
        "linker": Token.objects.create(user=linker).key,
    }


def _insert_images(owner_ids, total_rows):
    """Insert `total_rows` image rows, the owners taking turns, oldest first."""
    from django.db import connection, transaction

    sql = (
        "INSERT INTO uploads_image "
        "(id, owner_id, file, name, format, width, height, size, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    connection.ensure_connection()
    raw = connection.connection
    # A throwaway file: durability is not wanted, a cache large enough to hold
    # the indexes is (random primary keys otherwise thrash the default one).
    raw.execute("PRAGMA journal_mode=MEMORY")
    raw.execute("PRAGMA synchronous=OFF")
    raw.execute("PRAGMA cache_size=-524288")
    # Building the secondary indexes once at the end, from sorted data, is
    # several times faster than keeping them up to date row by row.
    indexes = raw.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
        "AND tbl_name = 'uploads_image' AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        raw.execute(f'DROP INDEX "{name}"')
    owners = len(owner_ids)
    for first in range(0, total_rows, BATCH):
        rows = []
        for number in range(first, min(first + BATCH, total_rows)):
            key = uuid.uuid4().hex
            is_png = number % 4 == 0
            created = START + timedelta(seconds=number * 7)
            rows.append(
                (
                    key,
                    owner_ids[number % owners],
                    f"images/{key[:2]}/{key}/original.{'png' if is_png else 'jpg'}",
                    f"photo-{number}.{'png' if is_png else 'jpg'}",
                    "png" if is_png else "jpeg",
                    4000,
                    3000,
                    4_000_000,
                    created.strftime("%Y-%m-%d %H:%M:%S.%f"),
                )
            )
        with transaction.atomic():
            raw.executemany(sql, rows)
    with transaction.atomic():
        for _, create in indexes:
            raw.execute(create)
    raw.execute("PRAGMA journal_mode=WAL")


def _analyze():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _deep_page_path(lister, lister_rows):
    """Return the path of the lister's last full page of 50, by cursor."""
    from rest_framework.pagination import Cursor

    from uploads.models import Image
    from uploads.pagination import NewestFirstPagination

    rank = lister_rows - 50
    position = (
        Image.objects.filter(owner=lister)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[rank - 1]
    )
    pager = NewestFirstPagination()
    pager.base_url = "/api/images/?page_size=50"
    return pager.encode_cursor(Cursor(offset=0, reverse=False, position=str(position)))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
