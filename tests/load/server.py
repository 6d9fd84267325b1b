"""Run the API under gunicorn on loopback, on a database and media of its own."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60


class Server:
    """gunicorn serving imageapi.wsgi from `folder`, stopped by stop()."""

    def __init__(self, folder, *, workers=2, threads=4, extra_env=None):
        self.folder = Path(folder)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.media = self.folder / "media"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "imageapi.settings.local",
            "DEBUG": "false",
            "SECRET_KEY": "load-test-only-key-9b1d4e",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"sqlite:///{self.folder / 'db.sqlite3'}",
            "MEDIA_ROOT": str(self.media),
            "IMAGEAPI_LOCK_DIR": str(self.folder / "locks"),
            "LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        self.workers, self.threads = workers, threads
        self.process = None

    def manage(self, *args):
        """Run a manage.py command against this server's database; return stdout."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode not in (0, 1):
            raise RuntimeError(result.stderr)
        return result.returncode, result.stdout

    def create_users(self, count, prefix="load"):
        """Create `count` users on the Enterprise tier; return their tokens."""
        script = (
            "import json\n"
            "from rest_framework.authtoken.models import Token\n"
            "from tiers.models import Tier, User\n"
            "tier = Tier.objects.get(name='Enterprise')\n"
            "tokens = []\n"
            f"for n in range({count}):\n"
            f"    user = User.objects.create(username=f'{prefix}{{n}}', tier=tier)\n"
            "    tokens.append(Token.objects.create(user=user).key)\n"
            "print(json.dumps(tokens))\n"
        )
        _, out = self.manage("shell", "-c", script)
        return json.loads(out.strip().splitlines()[-1])

    def start(self):
        self.manage("migrate", "--no-input")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "imageapi.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(self.threads),
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.folder / "gunicorn.log", "wb"),
            start_new_session=True,
        )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/", timeout=2):
                    pass
            except urllib.error.HTTPError:
                pass  # An answer, if only 401 for want of a login: it is up.
            except OSError:
                time.sleep(0.2)
                continue
            if len(self.worker_pids()) == self.workers:
                return self
        self.stop()
        raise RuntimeError(f"gunicorn did not answer in {START_SECONDS} s")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)

    def log(self):
        return (self.folder / "gunicorn.log").read_text(errors="replace")[-4000:]

    def worker_pids(self):
        """Return the pids of the gunicorn workers, children of the master."""
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(entry))
        return sorted(pids)


def open_files(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def resident_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"No VmRSS for {pid}")


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
