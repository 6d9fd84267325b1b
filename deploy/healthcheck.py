"""Ask the gunicorn beside this script for /healthz; exit 0 on a 200.

compose runs it inside the web container. It sends the first concrete name
in ALLOWED_HOSTS as Host, so Django's host check passes.
"""

import os
import sys
import urllib.error
import urllib.request


def health_url():
    """Return the /healthz URL of the address gunicorn binds to."""
    bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
    host, _, port = bind.rpartition(":")
    if host in ("", "0.0.0.0", "[::]"):
        host = "127.0.0.1"
    return f"http://{host}:{port}/healthz"


def host_header():
    """Return a Host value that ALLOWED_HOSTS accepts."""
    for name in os.environ.get("ALLOWED_HOSTS", "localhost").split(","):
        name = name.strip().lstrip(".")
        if name and name != "*":
            return name
    return "localhost"


def main():
    request = urllib.request.Request(health_url(), headers={"Host": host_header()})
    try:
        with urllib.request.urlopen(request, timeout=4) as response:
            body = response.read().decode()
    except (urllib.error.URLError, OSError) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
