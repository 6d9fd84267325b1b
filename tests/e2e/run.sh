#!/usr/bin/env bash
# The end-to-end run: `make e2e`, and with E2E_SCALEOUT=1 `make e2e-scaleout`.
#
# Starts PostgreSQL, Redis, the web command (migrate, collectstatic,
# ensure_bucket, gunicorn with the production settings) and nginx with
# deploy/nginx.conf.template, all on 127.0.0.1 and each with the command
# and environment docker-compose.yml gives it (see stack.py). The scale-out
# run adds the broker (Redis with compose's command), the worker (compose's
# command) and, standing in for the objectstore service's image, moto's S3
# server. drive.py then uses the API through nginx. Everything stops when
# this script exits.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT_DIR=$PWD
PYTHON=${PYTHON:-$ROOT_DIR/.venv/bin/python}
source tests/e2e/lib.sh

SCALEOUT=${E2E_SCALEOUT:-0}
ensure_packages "${STACK_PACKAGES[@]}"
stack_init

export E2E_ROOT=$STACK_DIR
export E2E_SECRET_KEY=$(openssl rand -hex 32)
export E2E_POSTGRES_PASSWORD=$(openssl rand -hex 16)
export E2E_OBJECTSTORE_SECRET=$(openssl rand -hex 24)
export E2E_WEB_PORT=$(free_port)
export E2E_NGINX_PORT=$(free_port)
mkdir -p "$STACK_DIR/srv/media" "$STACK_DIR/srv/static"
stack() { "$PYTHON" tests/e2e/stack.py "$@"; }

# db: the user and database compose's postgres image would create.
eval "$(E2E_DB_PORT=0 E2E_REDIS_PORT=0 stack env db)"
start_postgres "$POSTGRES_USER" "$E2E_POSTGRES_PASSWORD" "$POSTGRES_DB"
export E2E_DB_PORT=$PG_PORT

# redis: compose's command with loopback address and port added.
mapfile -t redis_command < <(stack command redis)
start_redis redis "${redis_command[@]:1}"
export E2E_REDIS_PORT=$REDIS_PORT

if [ "$SCALEOUT" = 1 ]; then
    # broker: compose's command, a Redis that keeps its queue on disk.
    mapfile -t broker_command < <(stack command broker)
    start_redis broker "${broker_command[@]:1}"
    export E2E_BROKER_PORT=$REDIS_PORT
    # objectstore: compose runs MinIO's image; moto's server speaks the same
    # S3 API over HTTP here, with the bucket and credentials compose's give.
    start_moto
    export E2E_OBJECTSTORE_PORT=$MOTO_PORT
fi

# web: compose's command in compose's environment, with this checkout's
# virtualenv first on PATH where the image has its Python.
(
    eval "$(stack env web)"
    export PATH="$ROOT_DIR/.venv/bin:$PATH"
    mapfile -t web_command < <(stack command web)
    exec "${web_command[@]}"
) >"$STACK_DIR/web.log" 2>&1 &
web_pid=$!
STOP_ACTIONS+=("stop_pid $web_pid")
web_env() { (eval "$(stack env web)"; export PATH="$ROOT_DIR/.venv/bin:$PATH"; "$@"); }
# compose's health check for web, run the same way.
mapfile -t web_health < <("$PYTHON" -c 'import sys, yaml; print("\n".join(yaml.safe_load(open("docker-compose.yml"))["services"]["web"]["healthcheck"]["test"][1:]))')
web_healthy() {
    kill -0 "$web_pid" 2>/dev/null || exit 1
    web_env "${web_health[@]}"
}
wait_for 120 web_healthy || { log "web never became healthy"; exit 1; }
log "gunicorn answers /healthz on 127.0.0.1:$E2E_WEB_PORT"

if [ "$SCALEOUT" = 1 ]; then
    # worker: compose's command and environment, and its health check.
    (
        eval "$(stack env worker)"
        export PATH="$ROOT_DIR/.venv/bin:$PATH"
        mapfile -t worker_command < <(stack command worker)
        exec "${worker_command[@]}"
    ) >"$STACK_DIR/worker.log" 2>&1 &
    worker_pid=$!
    STOP_ACTIONS+=("stop_pid $worker_pid")
    mapfile -t worker_health < <(stack healthcheck worker)
    worker_healthy() {
        kill -0 "$worker_pid" 2>/dev/null || exit 1
        (eval "$(stack env worker)"; export PATH="$ROOT_DIR/.venv/bin:$PATH"; "${worker_health[@]}")
    }
    wait_for 120 worker_healthy || { log "the worker never answered"; exit 1; }
    log "a Celery worker answers through the broker on 127.0.0.1:$E2E_BROKER_PORT"
fi

# nginx: the template rendered with envsubst, as the nginx image does.
deploy/make-tls-cert.sh "$STACK_DIR/tls" localhost >/dev/null
(
    eval "$(stack env nginx)"
    variables=$(compgen -e | grep '^NGINX_' | sed 's/^/$/' | tr '\n' ' ')
    envsubst "$variables" <deploy/nginx.conf.template >"$STACK_DIR/imageapi-site.conf"
)
start_nginx "$STACK_DIR/imageapi-site.conf"

export E2E_CA_FILE=$STACK_DIR/tls/cert.pem
export E2E_BASE_URL=https://localhost:$E2E_NGINX_PORT
export E2E_WEB_LOG=$STACK_DIR/web.log
export E2E_NGINX_LOG=$STACK_DIR/nginx-access.log
export E2E_WORKER_LOG=$STACK_DIR/worker.log
export E2E_SAMPLES=${E2E_SAMPLES:-$ROOT_DIR/../shared/samples}
web_env python tests/e2e/drive.py
