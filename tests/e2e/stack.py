"""Read docker-compose.yml and restate its services for a loopback run.

tests/e2e/run.sh starts each server with what this prints, so the
end-to-end run uses compose's own commands and environments. The only
changes are listed in `loopback_rewrites()` and `LOOPBACK_KEYS`: service
addresses become ports on 127.0.0.1 and volume paths become folders of the
run. tests/test_compose.py checks that nothing else differs.

    python tests/e2e/stack.py env SERVICE          shell `export` lines
    python tests/e2e/stack.py command SERVICE      the command, one word a line
    python tests/e2e/stack.py healthcheck SERVICE  its health check, likewise

With E2E_SCALEOUT=1 the run switches on what .env switches on for the
scale-out profiles: a bucket, the object store's secret and the broker.
"""

import os
import re
import shlex
import sys
from pathlib import Path

import yaml

COMPOSE_FILE = Path(__file__).resolve().parents[2] / "docker-compose.yml"

# ${NAME}, ${NAME:-default} or ${NAME:?message}, as compose reads them.
VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")

# Values that differ by key rather than by address or path.
LOOPBACK_KEYS = {
    "nginx": {"NGINX_LISTEN": "127.0.0.1:{nginx_port}"},
}


def load_compose(path=COMPOSE_FILE):
    """Return docker-compose.yml as a dict."""
    return yaml.safe_load(Path(path).read_text())


def interpolate(value, variables):
    """Fill in compose's ${...} variables from `variables`.

    Raises KeyError for a ${NAME:?message} whose NAME is not given, as
    compose refuses to start then.
    """

    def replace(match):
        name, kind, fallback = match.groups()
        if variables.get(name):
            return variables[name]
        if kind == "?":
            raise KeyError(f"{name}: {fallback}")
        return fallback or ""

    return VARIABLE.sub(replace, str(value)).replace("$$", "$")


def loopback_rewrites(ports, root):
    """Return (old, new) pairs that move compose's addresses and paths here.

    `ports` maps db, redis, broker, objectstore, web and nginx to ports on
    127.0.0.1; `root` is the run's folder.
    """
    return [
        ("db:5432", f"127.0.0.1:{ports['db']}"),
        ("redis:6379", f"127.0.0.1:{ports['redis']}"),
        ("broker:6379", f"127.0.0.1:{ports['broker']}"),
        ("objectstore:9000", f"127.0.0.1:{ports['objectstore']}"),
        ("web:8000", f"127.0.0.1:{ports['web']}"),
        ("0.0.0.0:8000", f"127.0.0.1:{ports['web']}"),
        ("/srv/imageapi", f"{root}/srv"),
        ("/etc/nginx/tls", f"{root}/tls"),
        ("/dev/stdout", f"{root}/nginx-access.log"),
    ]


def service_environment(compose, service, variables, ports, root):
    """Return the service's environment as the loopback run uses it."""
    environment = {}
    rewrites = loopback_rewrites(ports, root)
    for key, value in compose["services"][service].get("environment", {}).items():
        value = interpolate(value, variables)
        for old, new in rewrites:
            value = value.replace(old, new)
        environment[key] = value
    for key, value in LOOPBACK_KEYS.get(service, {}).items():
        environment[key] = value.format(
            **{f"{name}_port": p for name, p in ports.items()}
        )
    return environment


def service_command(compose, service):
    """Return the service's command as a list of words."""
    command = compose["services"][service]["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def service_healthcheck(compose, service):
    """Return the service's health check as a command, one word an item."""
    kind, *words = compose["services"][service]["healthcheck"]["test"]
    if kind == "CMD-SHELL":
        words = ["sh", "-c", " ".join(words)]
    return [word.replace("$$", "$") for word in words]


def run_settings(environ):
    """Return (variables, ports, root) from the run's E2E_* environment."""
    variables = {
        "SECRET_KEY": environ["E2E_SECRET_KEY"],
        "POSTGRES_PASSWORD": environ["E2E_POSTGRES_PASSWORD"],
        "DOMAIN": "localhost",
        "HTTPS_PORT": environ["E2E_NGINX_PORT"],
        "GUNICORN_WORKERS": environ.get("E2E_GUNICORN_WORKERS", "2"),
    }
    if environ.get("E2E_SCALEOUT") == "1":
        variables.update(scaleout_variables(environ))
    ports = {
        name: environ.get(f"E2E_{name.upper()}_PORT", "0")
        for name in ("db", "redis", "broker", "objectstore", "web", "nginx")
    }
    return variables, ports, environ["E2E_ROOT"]


def scaleout_variables(environ):
    """Return what .env sets to switch on the objectstore and workers profiles."""
    return {
        "IMAGEAPI_S3_BUCKET": "imageapi",
        "AWS_SECRET_ACCESS_KEY": environ["E2E_OBJECTSTORE_SECRET"],
        "CELERY_BROKER_URL": "redis://broker:6379/0",
    }


def main(argv, environ):
    what, service = argv
    compose = load_compose()
    if what == "command":
        print("\n".join(service_command(compose, service)))
        return 0
    if what == "healthcheck":
        print("\n".join(service_healthcheck(compose, service)))
        return 0
    environment = service_environment(compose, service, *run_settings(environ))
    for key, value in environment.items():
        print(f"export {key}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], os.environ))
