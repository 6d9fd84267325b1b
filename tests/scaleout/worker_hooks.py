"""Points where a test holds a worker process, so as to kill it right there.

Imported by the workers of the worker tests only (CELERY_IMPORTS in
tests/scaleout/worker_settings.py). A file in SCALEOUT_CONTROL_DIR named
`hold-start` (before a task runs) or `hold-<height>` (before a thumbnail of
that height is made) holds the process that gets there: it writes its pid
to `reached-<same suffix>`, then waits until the file is removed, or for the
number of seconds the file holds.
"""

import os
import time
from pathlib import Path

from celery.signals import task_prerun

from uploads.imagegenerators import Thumbnail

CONTROL = Path(os.environ["SCALEOUT_CONTROL_DIR"])


def hold(point):
    """Wait at `point` while its hold file exists, if it does."""
    hold_file = CONTROL / f"hold-{point}"
    if not hold_file.exists():
        return
    (CONTROL / f"reached-{point}").write_text(str(os.getpid()))
    deadline = time.monotonic() + float(hold_file.read_text() or 0)
    while hold_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


@task_prerun.connect
def hold_before_the_task(**kwargs):
    hold("start")


_generate = Thumbnail.generate


def generate_after_hold(self):
    hold(self.height)
    return _generate(self)


Thumbnail.generate = generate_after_hold
