#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on loopback for the tools that need a server (benchmarks, the
# docs' examples). Source it, then:
#   pg_cluster_start DIR      initdb in DIR (its parent must be reachable by nobody) (owned by nobody when run as root), start the server
#                             on a free 127.0.0.1 port; sets PG_PORT, PG_PID, PG_DIR, PGPASSWORD
#   pg_cluster_url DATABASE   a --db URL without the password (perfdb reads PGPASSWORD)
#   pg_cluster_psql DATABASE  psql over the cluster's socket as the superuser (SQL on stdin)
#   pg_cluster_stop           stop the server by its PID and remove DIR
# Extra server settings: PG_SETTINGS="-c shared_buffers=128MB …".

pg_cluster_bin() {
    if [ -n "${PERFDB_PG_BIN:-}" ]; then echo "$PERFDB_PG_BIN"; return; fi
    local newest
    newest=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -1)
    if [ -z "$newest" ]; then
        SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
        $SUDO apt-get update -qq > /dev/null && $SUDO apt-get install -y -qq postgresql > /dev/null
        newest=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    fi
    echo "$newest"
}

pg_cluster_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
    else
        "$@"
    fi
}

pg_cluster_start() {
    PG_DIR=$1
    PG_BIN=$(pg_cluster_bin)
    mkdir -p "$PG_DIR"
    PGPASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    export PGPASSWORD
    printf '%s\n' "$PGPASSWORD" > "$PG_DIR/pwfile"
    [ "$(id -u)" = 0 ] && chown -R nobody: "$PG_DIR"
    pg_cluster_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U perfdb --pwfile "$PG_DIR/pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale --no-sync > /dev/null
    rm -f "$PG_DIR/pwfile"
    PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    local owner=()
    [ "$(id -u)" = 0 ] && owner=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
    # setpriv execs postgres: $! is the server's own PID.
    # shellcheck disable=SC2086
    "${owner[@]}" "$PG_BIN/postgres" -D "$PG_DIR/data" -p "$PG_PORT" -k "$PG_DIR" \
        -c listen_addresses=127.0.0.1 ${PG_SETTINGS:-} > "$PG_DIR/server.log" 2>&1 &
    PG_PID=$!
    for _ in $(seq 100); do
        "$PG_BIN/pg_isready" -q -h "$PG_DIR" -p "$PG_PORT" && return 0
        kill -0 "$PG_PID" 2> /dev/null || break
        sleep 0.1
    done
    cat "$PG_DIR/server.log" >&2
    return 1
}

pg_cluster_url() {
    echo "postgresql://perfdb@127.0.0.1:$PG_PORT/$1?sslmode=disable"
}

pg_cluster_psql() {
    "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U perfdb -d "$1"
}

pg_cluster_stop() {
    [ -n "${PG_PID:-}" ] || return 0
    kill -INT "$PG_PID" 2> /dev/null
    for _ in $(seq 200); do kill -0 "$PG_PID" 2> /dev/null || break; sleep 0.1; done
    kill -KILL "$PG_PID" 2> /dev/null || true
    PG_PID=""
    rm -rf "$PG_DIR"
}
