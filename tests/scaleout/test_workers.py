"""Thumbnails made by real Celery workers through Redis (`make test-workers`).

tests/scaleout/workers-suite.sh starts PostgreSQL and Redis; the tests here
start `celery --app=imageapi worker` processes against the test database,
upload through the API, and kill workers with SIGKILL in the middle of a
task. tests/scaleout/worker_hooks.py lets a test hold a worker at a chosen
point first, so that the kill lands exactly there.
"""

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from model_bakery import baker
from PIL import Image as PILImage

from imageapi.celery import app
from tiers.models import ThumbnailHeight
from uploads.models import Image

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]

PROJECT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60


@pytest.fixture(autouse=True)
def _isolated_media_and_cache():
    """Share one media folder and one cache with the workers; start clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def control():
    """Return hold(point) and release(point) for the workers' hold files."""
    folder = Path(os.environ["SCALEOUT_CONTROL_DIR"])
    for stale in folder.iterdir():
        stale.unlink()

    class Control:
        def hold(self, point, seconds=WAIT_SECONDS):
            (folder / f"hold-{point}").write_text(str(seconds))

        def release(self, point):
            (folder / f"hold-{point}").unlink(missing_ok=True)

        def reached(self, point):
            """Wait for a worker to reach the point; return its pid."""
            marker = folder / f"reached-{point}"
            wait_until(lambda: marker.exists() and marker.read_text(), f"reach {point}")
            return int(marker.read_text())

    yield Control()
    for leftover in folder.iterdir():
        leftover.unlink()


class Worker:
    """One `celery worker` process with two pool processes, in its own session."""

    count = 0

    def __init__(self, env):
        Worker.count += 1
        self.name = f"scaleout{Worker.count}@{os.uname().nodename}"
        log_dir = Path(os.environ["SCALEOUT_LOG_DIR"])
        self.log_path = log_dir / f"worker{Worker.count}.log"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "--app=imageapi",
                    "worker",
                    "--loglevel=INFO",
                    "--concurrency=2",
                    f"--hostname={self.name}",
                ],
                cwd=PROJECT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        with open(os.environ["SCALEOUT_WORKER_PIDS"], "a") as pids:
            pids.write(f"{self.process.pid}\n")
        wait_until(self.answers, f"worker {self.name} to answer")

    def answers(self):
        if self.process.poll() is not None:
            raise AssertionError(f"worker exited; see {self.log_path}")
        return bool(app.control.ping(destination=[self.name], timeout=0.5))

    def kill(self):
        """SIGKILL the worker and its pool processes at once."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self):
        """Shut down warmly, as a deployment's stop does; kill if it hangs."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


@pytest.fixture(scope="session")
def worker_env(django_db_setup):
    """Return the environment of workers that use the test database."""
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}"
        f"/{db['NAME']}"
    )
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "tests.scaleout.worker_settings",
        "PYTHONPATH": str(PROJECT),
    }


@pytest.fixture
def start_worker(worker_env):
    """Return a function that starts a worker; every one is stopped afterwards."""
    workers = []

    def start():
        workers.append(Worker(worker_env))
        return workers[-1]

    yield start
    for worker in workers:
        worker.stop()


def wait_until(predicate, what, seconds=WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds}s waiting for {what}")
        time.sleep(0.1)


def stored(image_id):
    folder = Path(settings.MEDIA_ROOT) / Image.objects.get(pk=image_id).folder
    return sorted(path.name for path in folder.iterdir())


def all_made(image_id, heights):
    names = stored(image_id)
    return all(f"{height}.png" in names for height in heights)


@pytest.fixture
def studio(make_tier):
    """Return a user on a tier with 200 and 400 px thumbnails."""
    tier = make_tier("Studio", heights=[200, 400], original_link=True)
    return baker.make("tiers.User", tier=tier)


def test_upload_answers_201_first_and_a_worker_makes_the_thumbnails(
    start_worker, control, studio, upload_image, fetch_image
):
    start_worker()
    control.hold(200)
    control.hold(400)

    body = upload_image(studio, "photo.png", size=(900, 600))

    assert stored(body["id"]) == ["original.png"]
    control.reached(200)
    control.release(200)
    control.release(400)
    wait_until(lambda: all_made(body["id"], [200, 400]), "thumbnails")
    assert stored(body["id"]) == ["200.png", "400.png", "original.png"]
    assert fetch_image(body["thumbnails"]["400"]).size == (600, 400)


def test_a_pool_process_killed_mid_task_is_replaced_and_the_task_finishes(
    start_worker, control, studio, upload_image
):
    start_worker()
    control.hold(400)
    body = upload_image(studio, "photo.png", size=(900, 600))
    pid = control.reached(400)
    folder = Path(settings.MEDIA_ROOT) / Image.objects.get(pk=body["id"]).folder
    made_first = (folder / "200.png").stat().st_mtime_ns

    os.kill(pid, signal.SIGKILL)
    control.release(400)

    wait_until(lambda: all_made(body["id"], [400]), "the 400 px thumbnail")
    # The task ran again from the start and made only what was missing.
    assert stored(body["id"]) == ["200.png", "400.png", "original.png"]
    assert (folder / "200.png").stat().st_mtime_ns == made_first


def test_a_worker_killed_whole_mid_task_loses_nothing_once_one_runs_again(
    start_worker, control, studio, upload_image
):
    worker = start_worker()
    control.hold(400)
    body = upload_image(studio, "photo.png", size=(900, 600))
    control.reached(400)

    worker.kill()
    control.release(400)
    time.sleep(2)
    assert stored(body["id"]) == ["200.png", "original.png"]

    start_worker()
    # The broker hands the task out again once CELERY_VISIBILITY_TIMEOUT
    # (10 s here) has passed since the dead worker took it.
    wait_until(lambda: all_made(body["id"], [400]), "the task to come back")
    assert stored(body["id"]) == ["200.png", "400.png", "original.png"]


def test_a_link_fetched_before_the_worker_gets_there_makes_its_thumbnail(
    start_worker, control, studio, upload_image, fetch_image
):
    start_worker()
    control.hold("start")
    body = upload_image(studio, "photo.png", size=(900, 600))
    control.reached("start")

    assert fetch_image(body["thumbnails"]["400"]).size == (600, 400)

    control.release("start")
    wait_until(lambda: all_made(body["id"], [200]), "the worker's thumbnail")
    # The worker found the 400 px thumbnail made and left it alone.
    assert stored(body["id"]) == ["200.png", "400.png", "original.png"]


def test_adding_a_height_to_a_tier_has_workers_backfill_its_images(
    start_worker, studio, make_tier, upload_image
):
    start_worker()
    outsider = baker.make("tiers.User", tier=make_tier("Other", heights=[200]))
    ids = [upload_image(studio, f"{n}.png", size=(900, 600))["id"] for n in range(3)]
    other = upload_image(outsider, "o.png", size=(900, 600))["id"]
    wait_until(lambda: all(all_made(i, [200, 400]) for i in ids), "upload thumbnails")
    wait_until(lambda: all_made(other, [200]), "the other tier's thumbnail")

    ThumbnailHeight.objects.create(tier=studio.tier, height=300)

    wait_until(lambda: all(all_made(i, [300]) for i in ids), "the backfill")
    time.sleep(1)
    assert stored(other) == ["200.png", "original.png"]
    image = PILImage.open(
        io.BytesIO(
            Path(
                settings.MEDIA_ROOT, Image.objects.get(pk=ids[0]).folder, "300.png"
            ).read_bytes()
        )
    )
    assert image.size == (450, 300)
