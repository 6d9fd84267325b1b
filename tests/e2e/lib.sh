# Throwaway servers on 127.0.0.1 for `make test-postgres` and `make e2e`.
# Source this file, call stack_init, then start_* as needed: everything
# lives in one temporary folder and stops when the calling script exits,
# however it exits.

STACK_PACKAGES=(postgresql redis-server nginx openssl gettext-base)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Install the Debian packages that are missing; skip when none is.
ensure_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" ||
            missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        log "Missing Debian packages: ${missing[*]}. Install them as root."
        return 1
    fi
    log "Installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Run a command until it succeeds, at most $1 seconds.
wait_for() {
    local seconds=$1
    shift
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "Gave up after ${seconds}s waiting for: $*"
            return 1
        fi
        sleep 0.5
    done
}

stack_init() {
    STACK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/imageapi-stack.XXXXXX")
    # Servers that drop root (postgres, nginx workers) must reach their files.
    chmod 755 "$STACK_DIR"
    STOP_ACTIONS=()
    trap stack_stop EXIT
    trap 'exit 130' INT TERM
    log "Servers and their files: $STACK_DIR"
}

# Stop everything started, newest first; show the logs if the run failed.
stack_stop() {
    local status=$?
    local i
    for ((i = ${#STOP_ACTIONS[@]} - 1; i >= 0; i--)); do
        eval "${STOP_ACTIONS[i]}" || true
    done
    if [ "$status" -ne 0 ]; then
        local file
        for file in "$STACK_DIR"/*.log; do
            [ -f "$file" ] || continue
            log "Last lines of $file:"
            tail -n 40 "$file" >&2
        done
    fi
    if [ "${KEEP_STACK:-0}" = 1 ]; then
        log "Kept $STACK_DIR"
    else
        rm -rf "$STACK_DIR"
    fi
    exit "$status"
}

# Kill one process we started and wait for it, at most 30 seconds.
stop_pid() {
    local pid=$1 signal=${2:-TERM}
    [[ "$pid" =~ ^[0-9]+$ ]] && [ "$pid" -gt 1 ] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill "-$signal" "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.2
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    return 0
}

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# start_postgres USER PASSWORD DATABASE: a new cluster; sets PG_PORT.
start_postgres() {
    local user=$1 password=$2 database=$3
    local bin
    bin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -n 1)
    [ -n "$bin" ] || { log "No PostgreSQL server under /usr/lib/postgresql"; return 1; }
    PG_BIN=$bin
    PG_PORT=$(free_port)
    PG_DIR=$STACK_DIR/postgres
    mkdir -p "$PG_DIR"
    printf '%s\n' "$password" >"$PG_DIR/password"
    [ "$(id -u)" -eq 0 ] && chown -R postgres: "$PG_DIR"
    as_postgres "$bin/initdb" --pgdata="$PG_DIR/data" --username="$user" \
        --pwfile="$PG_DIR/password" --auth=scram-sha-256 --encoding=UTF8 \
        --no-locale >"$STACK_DIR/postgres-init.log"
    # A test cluster: durability traded for speed.
    as_postgres "$bin/pg_ctl" --pgdata="$PG_DIR/data" --log="$PG_DIR/server.log" \
        --wait --timeout=60 start -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT \
        -c unix_socket_directories=$PG_DIR -c fsync=off -c synchronous_commit=off \
        -c full_page_writes=off" >/dev/null
    STOP_ACTIONS+=("stop_postgres")
    PGPASSWORD=$password "$bin/createdb" --host=127.0.0.1 --port="$PG_PORT" \
        --username="$user" "$database"
    log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
}

stop_postgres() {
    as_postgres "$PG_BIN/pg_ctl" --pgdata="$PG_DIR/data" --mode=fast --wait \
        --timeout=30 stop >/dev/null
}

# start_redis NAME [ARGS...]: a redis-server called NAME with ARGS, its files
# in a folder of its own; sets REDIS_PORT.
start_redis() {
    local name=$1
    shift
    REDIS_PORT=$(free_port)
    mkdir -p "$STACK_DIR/$name"
    redis-server "$@" --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
        --pidfile "$STACK_DIR/$name.pid" --logfile "$STACK_DIR/$name.log" \
        --dir "$STACK_DIR/$name"
    STOP_ACTIONS+=("stop_pid \$(cat '$STACK_DIR/$name.pid' 2>/dev/null || echo 0)")
    wait_for 30 redis-cli -p "$REDIS_PORT" ping
    log "Redis ($name) $(redis-server --version | awk '{print $3}' | sed 's/^v=//') on 127.0.0.1:$REDIS_PORT"
}

# start_moto: moto's standalone S3 server from the virtualenv of $PYTHON, on
# a free port of 127.0.0.1; sets MOTO_PORT. It keeps objects in memory.
start_moto() {
    MOTO_PORT=$(free_port)
    "$(dirname "$PYTHON")/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" \
        >"$STACK_DIR/moto.log" 2>&1 &
    STOP_ACTIONS+=("stop_pid $!")
    wait_for 30 "$PYTHON" -c "import urllib.request as r; r.urlopen('http://127.0.0.1:$MOTO_PORT/moto-api/', timeout=2)"
    log "moto's S3 server $("$PYTHON" -c 'import moto; print(moto.__version__)') on 127.0.0.1:$MOTO_PORT"
}

# start_nginx SITE_CONF: nginx with SITE_CONF inside a minimal http block,
# playing the part of the main nginx.conf that the nginx image ships.
start_nginx() {
    local site=$1 prefix=$STACK_DIR/nginx
    mkdir -p "$prefix/temp"
    cat >"$prefix/nginx.conf" <<EOF
worker_processes 2;
pid $prefix/nginx.pid;
error_log $STACK_DIR/nginx-error.log warn;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path $prefix/temp/body;
    proxy_temp_path $prefix/temp/proxy;
    fastcgi_temp_path $prefix/temp/fastcgi;
    uwsgi_temp_path $prefix/temp/uwsgi;
    scgi_temp_path $prefix/temp/scgi;
    include $site;
}
EOF
    [ "$(id -u)" -eq 0 ] && chown -R nobody "$prefix/temp"
    nginx -e "$STACK_DIR/nginx-error.log" -p "$prefix" -c "$prefix/nginx.conf" -t -q
    nginx -e "$STACK_DIR/nginx-error.log" -p "$prefix" -c "$prefix/nginx.conf"
    STOP_ACTIONS+=("stop_pid \$(cat '$prefix/nginx.pid' 2>/dev/null || echo 0) QUIT")
    wait_for 30 test -s "$prefix/nginx.pid"
    log "nginx $(nginx -v 2>&1 | sed 's|.*/||') started"
}
