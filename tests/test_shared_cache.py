"""Tier edits reach every worker process on its next request.

Two worker processes and a `manage.py shell` share one SQLite file and one
cache. With a cache the processes share (files here, Redis in production)
an edit made in the shell shows at once in both; with a per-process cache
it does not, which is why production requires CACHE_URL.
"""

import json
import os
import shutil
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
from django.core.cache import cache

from tiers.grants import Grants, grants_for_tier
from tiers.models import Tier

PROJECT = Path(__file__).resolve().parent.parent
SETUP = """
import json
from tiers.models import Tier, User
from uploads.models import Image
user = User.objects.create_user("worker-test", tier=Tier.objects.get(name="Premium"))
image = Image.objects.create(
    owner=user, file="images/aa/x/original.png", name="a.png", format="png",
    width=800, height=600, size=1,
)
print(json.dumps(str(image.pk)))
"""


class Worker:
    """One worker process; `get(path)` answers like a request to it."""

    def __init__(self, env):
        self.process = subprocess.Popen(
            [sys.executable, "tests/worker_process.py", "worker-test"],
            cwd=PROJECT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def get(self, path):
        self.process.stdin.write(path + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        assert answer["status"] == 200, answer
        return answer["body"]

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def manage(env, *args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory):
    """Return a migrated SQLite file to copy for each test."""
    path = tmp_path_factory.mktemp("shared") / "template.sqlite3"
    manage(environment(path, "locmemcache://"), "migrate", "--no-input")
    return path


def environment(database, cache_url):
    """Return the environment of the workers and the shell: local settings."""
    ignored = ("DATABASE_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE")
    env = {k: v for k, v in os.environ.items() if k not in ignored}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "imageapi.settings.local",
        "PYTHONPATH": str(PROJECT),
        "DATABASE_URL": f"sqlite:///{database}",
        "CACHE_URL": cache_url,
        "ALLOWED_HOSTS": "testserver",
        # Long enough that only an invalidation explains a fresh answer.
        "IMAGEAPI_TIER_CACHE_SECONDS": "3600",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def site(tmp_path, migrated_database):
    """Return a function that starts two workers on a cache; yields its env."""
    stack = ExitStack()

    def start(cache_url):
        database = tmp_path / "db.sqlite3"
        shutil.copy(migrated_database, database)
        env = environment(database, cache_url)
        image_id = json.loads(manage(env, "shell", "-v", "0", "-c", SETUP))
        workers = [Worker(env) for _ in range(2)]
        for worker in workers:
            stack.callback(worker.close)
        return env, workers, f"/api/images/{image_id}/"

    with stack:
        yield start


def edit_in_shell(env, code):
    manage(env, "shell", "-v", "0", "-c", "from tiers.models import *\n" + code)


def test_tier_edit_in_shell_is_seen_by_every_worker_on_its_next_request(site, tmp_path):
    env, workers, detail = site(f"filecache://{tmp_path}/cache")
    assert all("original" in worker.get(detail) for worker in workers)

    edit_in_shell(
        env,
        "tier = Tier.objects.get(name='Premium')\n"
        "tier.original_link = False\n"
        "tier.save()",
    )

    assert ["original" in worker.get(detail) for worker in workers] == [False, False]


def test_height_added_in_shell_is_seen_by_every_worker_on_its_next_request(
    site, tmp_path
):
    env, workers, detail = site(f"filecache://{tmp_path}/cache")
    assert [list(w.get(detail)["thumbnails"]) for w in workers] == [["200", "400"]] * 2

    edit_in_shell(
        env,
        "ThumbnailHeight.objects.create(tier=Tier.objects.get(name='Premium'),"
        " height=300)",
    )

    assert [list(w.get(detail)["thumbnails"]) for w in workers] == [
        ["200", "300", "400"]
    ] * 2


def test_a_per_process_cache_would_keep_serving_the_old_tier(site):
    env, workers, detail = site("locmemcache://")
    assert all("original" in worker.get(detail) for worker in workers)

    edit_in_shell(
        env,
        "tier = Tier.objects.get(name='Premium')\n"
        "tier.original_link = False\n"
        "tier.save()",
    )

    assert ["original" in worker.get(detail) for worker in workers] == [True, True]


def test_grants_cached_again_before_the_edit_commits_are_dropped_at_commit(
    db, django_capture_on_commit_callbacks
):
    tier = Tier.objects.get(name="Premium")

    with django_capture_on_commit_callbacks(execute=True):
        tier.original_link = False
        tier.save()
        # Another worker reads the rows the transaction has not committed yet.
        cache.set(f"tiers:grants:{tier.pk}", Grants((200, 400), True, False))

    assert grants_for_tier(tier.pk).original_link is False
