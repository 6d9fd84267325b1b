#!/usr/bin/env bash
# `make bench-scaleout`: upload, list and link figures of the embedded, the
# production and the scale-out configuration, on loopback.
# Starts PostgreSQL, Redis (cache), Redis (broker) and moto's S3 server on
# free ports of 127.0.0.1, runs bench/scaleout.py, and stops them all on
# exit. bench/scaleout.py starts gunicorn and the Celery worker itself.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$PWD/.venv/bin/python}
source tests/e2e/lib.sh

ensure_packages postgresql redis-server
stack_init
password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
start_postgres imageapi "$password" imageapi
start_redis cache --save "" --appendonly no --maxmemory 256mb --maxmemory-policy allkeys-lru
cache_port=$REDIS_PORT
start_redis broker --appendonly yes --maxmemory-policy noeviction
broker_port=$REDIS_PORT
start_moto

export BENCH_WORK=$STACK_DIR
export BENCH_DATABASE_URL="postgres://imageapi:$password@127.0.0.1:$PG_PORT/imageapi"
export BENCH_CACHE_URL="redis://127.0.0.1:$cache_port/0"
export BENCH_BROKER_URL="redis://127.0.0.1:$broker_port/0"
export BENCH_S3_ENDPOINT="http://127.0.0.1:$MOTO_PORT"
export PATH="$(dirname "$PYTHON"):$PATH"
timeout 1200 "$PYTHON" -m bench.scaleout
